import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation

struct Controls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show and set a tenant's call controls: where its calls may go, and who changed what.",
        subcommands: [Show.self, Destinations.self, Limit.self, Import.self, RechargeCap.self, Velocity.self, Resume.self, Changes.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's destination rules and the users with rules of their own.")
        @Option(help: "The tenant id.") var tenant: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let controls = try await services.controls.controls(of: TenantId(tenant))
                print("Tenant: \(controls.destinations)")
                for (upn, rules) in controls.userDestinations.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { print("\(upn): \(rules)") }
                let currency = try await services.directory.tenant(TenantId(tenant)).currency
                let service = services.controls
                let users = try await service.spendLimits(of: TenantId(tenant))
                for limit in try await users + service.unitSpendLimits(of: TenantId(tenant)) {
                    let unit = if case .unit = limit.spend.slot.spender { "Unit " } else { "" }
                    print(
                        "\(unit)\(limit.spend.slot.spender.name): \(MoneyText.forPeople(limit.limitMinor, currency)) a month; \(limit.spend.slot.month): "
                            + "spent \(MoneyText.forPeople(limit.spend.spentMinor, currency)), held \(MoneyText.forPeople(limit.spend.heldMinor, currency)), "
                            + "left \(MoneyText.forPeople(limit.leftMinor, currency))"
                    )
                }
            }
        }
    }

    struct Destinations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the destination rules of the tenant, or of one user (which apply as well as the tenant's).",
            discussion:
                "Emergency and incoming calls are never judged. Example: --block-types premium,sharedCost --block CU,+882 blocks premium and shared-cost numbers, Cuba and the +882 networks; --allow-only US,CA allows nothing else."
        )
        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "A user's sign-in name: set that user's own rules instead of the tenant's.") var user: String?
        @Option(help: "Number types to block, comma-separated: \(NumberType.allCases.map(\.rawValue).joined(separator: ", ")).")
        var blockTypes: String?
        @Option(help: "Countries (CU) and prefixes (+882) to block, comma-separated.") var block: String?
        @Option(help: "Countries and prefixes that are the only ones allowed, comma-separated.") var allowOnly: String?
        @Flag(help: "Block nothing (for a user: take the user's own rules away).") var clear = false
        @OptionGroup var options: DatabaseOption

        func validate() throws {
            guard block == nil || allowOnly == nil else { throw ValidationError("Give --block or --allow-only, not both.") }
            guard !clear || (blockTypes == nil && block == nil && allowOnly == nil) else { throw ValidationError("--clear takes no rules.") }
        }

        func run() async throws {
            try await withServices(options) { services in
                let rules = clear ? nil : try parsedRules()
                let upn = try user.map { text throws(Refusal) in try UserPrincipalName(text) }
                let controls = try await services.controls.setDestinationRules(
                    rules,
                    of: TenantId(tenant),
                    user: upn,
                    by: commandLineActor
                )
                print(
                    upn.map { "\($0): \(controls.userDestinations[$0]?.description ?? "no rules of their own")" }
                        ?? "Tenant: \(controls.destinations)"
                )
            }
        }

        private func parsedRules() throws(Refusal) -> DestinationRules {
            let list = { (text: String?) in (text ?? "").split(separator: ",").map(String.init) }
            let types = try list(blockTypes).map { name throws(Refusal) in
                guard let type = NumberType(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw Refusal.invalid(.invalidBlockTypes, "'\(name)' is not a number type.")
                }
                return type
            }
            return try DestinationRules(
                blockedNumberTypes: Set(types),
                mode: allowOnly == nil ? .blockListed : .allowListedOnly,
                destinations: list(allowOnly ?? block).map { text throws(Refusal) in try CallDestination(text) }
            )
        }
    }

    struct Limit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set or take away the monthly credit spend limit of a user, or of an administrative unit's users together.",
            discussion:
                "Credit-paid calls are refused once the calendar month's (UTC) calls spent and hold the limit; a call counts in the units its user was in when it started."
        )
        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "The user's sign-in name.") var user: String?
        @Option(help: "The administrative unit's name.") var unit: String?
        @Option(help: "The limit in the tenant's currency, like 50.00.") var monthly: String?
        @Flag(help: "Take the limit away.") var clear = false
        @OptionGroup var options: DatabaseOption

        func validate() throws {
            guard (user == nil) != (unit == nil) else { throw ValidationError("Give --user UPN or --unit NAME.") }
            guard (monthly == nil) == clear else { throw ValidationError("Give --monthly AMOUNT or --clear.") }
        }

        func run() async throws {
            try await withServices(options) { services in
                let tenantId = TenantId(tenant)
                let currency = try await services.directory.tenant(tenantId).currency
                let limit = try monthly.map { text throws(Refusal) in try MoneyText.amount(text, currency, field: .invalidMonthly, example: "50.00") }
                let said = limit.map { MoneyText.forPeople($0, currency) + " a month" } ?? "no limit"
                if let unit {
                    let unit = try AdministrativeUnit(unit)
                    try await services.controls.setSpendLimit(limit, of: tenantId, unit: unit, by: commandLineActor)
                    print("Unit \(unit): \(said)")
                } else if let user {
                    let upn = try UserPrincipalName(user)
                    try await services.controls.setSpendLimit(limit, of: tenantId, user: upn, by: commandLineActor)
                    print("\(upn): \(said)")
                }
            }
        }
    }

    struct RechargeCap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recharge-cap",
            abstract: "Set or take away the monthly cap on auto-recharge.",
            discussion: "Past the cap, auto-recharge waits for the first of next month (UTC); a purchase by hand still works."
        )
        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "The most recharged automatically in a calendar month, in the tenant's currency, like 500.00.") var monthly: String?
        @Flag(help: "Take the cap away.") var clear = false
        @OptionGroup var options: DatabaseOption

        func validate() throws {
            guard (monthly == nil) == clear else { throw ValidationError("Give --monthly AMOUNT or --clear.") }
        }

        func run() async throws {
            try await withServices(options) { services in
                let tenantId = TenantId(tenant)
                let currency = try await services.directory.tenant(tenantId).currency
                let cap = try monthly.map { text throws(Refusal) in try MoneyText.amount(text, currency, field: .invalidMonthly, example: "500.00") }
                try await services.controls.setRechargeCap(cap, of: tenantId, by: commandLineActor)
                print(cap.map { "Auto-recharge adds at most \(MoneyText.forPeople($0, currency)) a month." } ?? "No cap on auto-recharge.")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set many users' spend limits and own destination rules from a CSV file.",
            discussion:
                "Columns upn[,monthlyLimit][,blockedNumberTypes][,mode][,destinations]; lists separated by ';', an empty field for none. Each line replaces the user's limit and rules. Every line is checked first; if any is wrong, each bad line is listed and nothing changes."
        )
        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "The CSV file.") var csv: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let tenantId = TenantId(tenant)
                let currency = try await services.directory.tenant(tenantId).currency
                let lines = try UserFiles.userControls(try readFile(csv), currency: currency).get()
                let applied = try await services.controls.importUserControls(lines, of: tenantId, by: commandLineActor)
                print("Set the controls of \(applied) users.")
            }
        }
    }

    struct Changes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit trail of the tenant's call controls, newest first.")
        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "How many changes.") var limit = 20
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                for line in try await services.controls.changes(of: TenantId(tenant), limit: max(1, min(limit, 1000))) {
                    let change = line.change
                    print("\(ISO8601.format(change.at))  \(change.actor)  \(change.subject): \(change.before) -> \(change.after)")
                }
            }
        }
    }
}

/// Who the audit trail says made a change from the command line.
var commandLineActor: String { "command line (\(ProcessInfo.processInfo.userName))" }
