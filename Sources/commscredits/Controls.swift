import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation

struct Controls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show and set a tenant's call controls: where its calls may go, and who changed what.",
        subcommands: [Show.self, Destinations.self, Changes.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's destination rules and the users with rules of their own.")
        @Option(help: "The tenant id.") var tenant: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await reportingRefusals {
                let controls = try await controlService(options).controls(of: TenantId(tenant))
                print("Tenant: \(controls.destinations)")
                for (upn, rules) in controls.userDestinations.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { print("\(upn): \(rules)") }
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
            try await reportingRefusals {
                let rules = clear ? nil : try parsedRules()
                let upn = try user.map { text throws(BillingError) in try UserPrincipalName(text) }
                let controls = try await controlService(options).setDestinationRules(
                    rules,
                    of: TenantId(tenant),
                    user: upn,
                    by: "command line (\(ProcessInfo.processInfo.environment["USER"] ?? "unknown user"))"
                )
                print(
                    upn.map { "\($0): \(controls.userDestinations[$0]?.description ?? "no rules of their own")" }
                        ?? "Tenant: \(controls.destinations)"
                )
            }
        }

        private func parsedRules() throws(BillingError) -> DestinationRules {
            let list = { (text: String?) in (text ?? "").split(separator: ",").map(String.init) }
            let types = try list(blockTypes).map { name throws(BillingError) in
                guard let type = NumberType(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw BillingError.invalid("block-types", "'\(name)' is not a number type.")
                }
                return type
            }
            return try DestinationRules(
                blockedNumberTypes: Set(types),
                mode: allowOnly == nil ? .blockListed : .allowListedOnly,
                destinations: list(allowOnly ?? block).map { text throws(BillingError) in try CallDestination(text) }
            )
        }
    }

    struct Changes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit trail of the tenant's call controls, newest first.")
        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "How many changes.") var limit = 20
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await reportingRefusals {
                for line in try await controlService(options).changes(of: TenantId(tenant), limit: max(1, min(limit, 1000))) {
                    let change = line.change
                    print("\(ISO8601.format(change.at))  \(change.actor)  \(change.subject): \(change.before) -> \(change.after)")
                }
            }
        }
    }
}

private func controlService(_ options: DatabaseOption) async throws -> CallControlService {
    CallControlService(stores: try await DatabaseLocation(options.database).openStores(), clock: SystemClock())
}
