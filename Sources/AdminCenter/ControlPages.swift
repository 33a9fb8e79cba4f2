import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Hummingbird

/// Billing > Spend controls: where the tenant's calls may go (number types and destinations
/// blocked, or an allow list), a user's own rules on top, and who changed what. A guard against
/// toll fraud: a compromised phone dialling premium or far-away numbers is refused at once.
struct ControlPages {
    let pages: PageRenderer
    let controls: CallControlService
    let directory: DirectoryService

    struct TypeChoice {
        let value, label: String
        let checked: Bool
    }

    struct UserRow {
        let upn, rules: String
    }

    /// A user's or a unit's limit with this month's spend.
    struct LimitRow {
        /// The user's sign-in name or the unit's name.
        let name, limit, spent, held, left: String
        let reached: Bool

        init(_ use: SpendLimitUse, _ currency: Currency) {
            let money = { (minor: Int64) in MoneyText.forPeople(minor, currency) }
            name = use.spend.slot.spender.name
            limit = money(use.limitMinor)
            spent = money(use.spend.spentMinor)
            held = money(use.spend.heldMinor)
            left = money(use.leftMinor)
            reached = use.leftMinor == 0
        }
    }

    struct ChangeRow {
        let at, actor, subject, before, after: String
    }

    /// The form of one set of rules, as shown or as sent back with its error.
    struct RulesForm {
        let types: [TypeChoice]
        let allowOnly: Bool
        let destinations: String

        init(_ rules: DestinationRules) {
            types = NumberType.allCases.map { TypeChoice(value: $0.rawValue, label: Self.label($0), checked: rules.blockedNumberTypes.contains($0)) }
            allowOnly = rules.mode == .allowListedOnly
            destinations = rules.destinations.map(\.description).joined(separator: "\n")
        }

        init(_ form: FormFields) {
            types = NumberType.allCases.map { TypeChoice(value: $0.rawValue, label: Self.label($0), checked: form["block-\($0.rawValue)"] != nil) }
            allowOnly = form["mode"] == DestinationRules.Mode.allowListedOnly.rawValue
            destinations = form["destinations"] ?? ""
        }

        /// "Shared-cost" as a checkbox says it.
        static func label(_ type: NumberType) -> String { type.words.prefix(1).uppercased() + type.words.dropFirst() }

        func rules() throws(Refusal) -> DestinationRules {
            let listed = destinations.split(whereSeparator: { $0.isNewline || $0 == "," }).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard listed.count <= DestinationRules.maximumDestinations else {
                throw Refusal.invalid(.invalidDestinations, "List at most \(DestinationRules.maximumDestinations) countries and prefixes.")
            }
            return try DestinationRules(
                blockedNumberTypes: Set(types.filter(\.checked).compactMap { NumberType(rawValue: $0.value) }),
                mode: allowOnly ? .allowListedOnly : .blockListed,
                destinations: listed.map { text throws(Refusal) in try CallDestination(text) }
            )
        }
    }

    struct Page {
        let upn, tenantName, csrfToken: String
        let onControls = true
        let canChange: Bool
        var saved: String?
        var error: String?
        var userError: String?
        var tenantRules: RulesForm
        let summary: String
        var userRules: RulesForm
        var userName = ""
        let users: [UserRow]
        let hasUsers: Bool
        let currency: String
        let month: String
        let limits: [LimitRow]
        let hasLimits: Bool
        var limitError: String?
        var limitUser = ""
        var limitAmount = ""
        /// The monthly cap on auto-recharge in a sentence, and the form's amount.
        let capStatus: String
        let hasCap: Bool
        var capAmount: String
        var capError: String?
        /// The user controls CSV pasted, kept when it is refused, with each bad line.
        var importText = ""
        var importErrors: [String] = []
        var unitLimits: UnitLimitPanel
        var velocity: VelocityPanel
        let changes: [ChangeRow]
        let hasChanges: Bool
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("billing/spend-controls") { request, context in
            var page = try await page(context)
            page.saved = request.uri.queryParameters.get("saved").map {
                switch $0 {
                case "user": "The user's rules are saved."
                case "limit": "The spend limit is saved."
                case "unit": "The administrative unit's spend limit is saved."
                case "cap": "The monthly cap on auto-recharge is saved."
                case "import": "The users' controls are saved."
                case "velocity": "The velocity alarm is saved."
                case "resumed": "International and premium calls are resumed."
                default: "The tenant's rules are saved."
                }
            }
            return pages.render("spend-controls", page)
        }
        router.post("billing/spend-controls/destinations") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let (principal, tenantId) = try context.administrator(may: .buy)
            var page = try await page(context)
            page.tenantRules = RulesForm(form)
            do {
                try await controls.setDestinationRules(page.tenantRules.rules(), of: tenantId, by: principal.actor)
                return Response.redirect(to: "/admin/billing/spend-controls?saved=tenant", type: .normal)
            } catch let error as Refusal {
                page.error = error.inWords
                return pages.render("spend-controls", page, status: .unprocessableContent)
            }
        }
        router.post("billing/spend-controls/spend-limit") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let (principal, tenantId) = try context.administrator(may: .buy)
            var page = try await page(context)
            page.limitUser = form["upn"] ?? ""
            page.limitAmount = form["amount"] ?? ""
            do {
                let upn = try UserPrincipalName(page.limitUser.trimmingCharacters(in: .whitespaces))
                var limit: Int64?
                if form["remove"] == nil {
                    let currency = try await directory.tenant(tenantId).currency
                    limit = try MoneyText.amount(page.limitAmount, currency, field: .invalidAmount, example: "50.00")
                }
                try await controls.setSpendLimit(limit, of: tenantId, user: upn, by: principal.actor)
                return Response.redirect(to: "/admin/billing/spend-controls?saved=limit", type: .normal)
            } catch let error as Refusal {
                page.limitError = error.inWords
                return pages.render("spend-controls", page, status: .unprocessableContent)
            }
        }
        router.post("billing/spend-controls/import") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let (principal, tenantId) = try context.administrator(may: .buy)
            var page = try await page(context)
            page.importText = form["csv"] ?? ""
            do {
                let currency = try await directory.tenant(tenantId).currency
                let lines = try UserFiles.userControls(Array(page.importText.utf8), currency: currency).get()
                _ = try await controls.importUserControls(lines, of: tenantId, by: principal.actor)
                return Response.redirect(to: "/admin/billing/spend-controls?saved=import", type: .normal)
            } catch let refused as RefusedLines {
                page.importErrors = refused.lines.prefix(20).map { "Line \($0.line): \($0.error.detail)" }
                if refused.lines.count > 20 { page.importErrors.append("... and \(refused.lines.count - 20) more.") }
                return pages.render("spend-controls", page, status: .unprocessableContent)
            } catch let error as Refusal {
                page.importErrors = [error.inWords]
                return pages.render("spend-controls", page, status: .unprocessableContent)
            }
        }
        router.post("billing/spend-controls/recharge-cap") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let (principal, tenantId) = try context.administrator(may: .buy)
            var page = try await page(context)
            page.capAmount = form["amount"] ?? ""
            do {
                var cap: Int64?
                if form["remove"] == nil {
                    let currency = try await directory.tenant(tenantId).currency
                    cap = try MoneyText.amount(page.capAmount, currency, field: .invalidAmount, example: "500.00")
                }
                try await controls.setRechargeCap(cap, of: tenantId, by: principal.actor)
                return Response.redirect(to: "/admin/billing/spend-controls?saved=cap", type: .normal)
            } catch let error as Refusal {
                page.capError = error.inWords
                return pages.render("spend-controls", page, status: .unprocessableContent)
            }
        }
        addVelocityAlarm(to: router)
        addUnitSpendLimits(to: router)
        router.post("billing/spend-controls/user-destinations") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let (principal, tenantId) = try context.administrator(may: .buy)
            var page = try await page(context)
            page.userRules = RulesForm(form)
            page.userName = form["upn"] ?? ""
            do {
                let upn = try UserPrincipalName(page.userName.trimmingCharacters(in: .whitespaces))
                let rules = form["remove"] != nil ? nil : try page.userRules.rules()
                try await controls.setDestinationRules(rules, of: tenantId, user: upn, by: principal.actor)
                return Response.redirect(to: "/admin/billing/spend-controls?saved=user", type: .normal)
            } catch let error as Refusal {
                page.userError = error.inWords
                return pages.render("spend-controls", page, status: .unprocessableContent)
            }
        }
    }

    func page(_ context: APIRequestContext) async throws -> Page {
        let (principal, tenantId) = try context.administrator(may: .readBilling)
        let tenant = try await directory.tenant(tenantId)
        let current = try await controls.controls(of: tenantId)
        let changes = try await controls.changes(of: tenantId, limit: 20)
        let money = { (minor: Int64) in MoneyText.forPeople(minor, tenant.currency) }
        let limits = try await controls.spendLimits(of: tenantId).map { LimitRow($0, tenant.currency) }
        let frame = PageFrame(context, tenantName: tenant.name)
        let cap = try await controls.rechargeCap(of: tenantId)
        let users = current.userDestinations.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            UserRow(upn: $0.key.rawValue, rules: Self.sentence($0.value))
        }
        return Page(
            upn: frame.upn,
            tenantName: frame.tenantName,
            csrfToken: frame.csrfToken,
            canChange: principal.permissions.contains(.buy),
            tenantRules: RulesForm(current.destinations),
            summary: Self.sentence(current.destinations),
            userRules: RulesForm(.open),
            users: users,
            hasUsers: !users.isEmpty,
            currency: tenant.currency.code,
            month: ReadableDate.month(CalendarMonth(of: controls.now)),
            limits: limits,
            hasLimits: !limits.isEmpty,
            capStatus: cap.map {
                "At most \(money($0.capMinor)) is recharged automatically in a calendar month; \(money($0.rechargedMinor)) so far in \(ReadableDate.month($0.month))."
                    + ($0.paused ? " Auto-recharge is paused until the first of next month: another recharge would pass the cap." : "")
            } ?? "No cap: auto-recharge adds funds whenever the balance falls below its trigger.",
            hasCap: cap != nil,
            capAmount: cap.map { MoneyText.decimal($0.capMinor, tenant.currency) } ?? "",
            unitLimits: UnitLimitPanel(try await controls.unitSpendLimits(of: tenantId), tenant.currency),
            velocity: VelocityPanel(try await controls.velocityStatus(of: tenantId), tenant.currency),
            changes: changes.map {
                ChangeRow(
                    at: ReadableDate.minute($0.change.at),
                    actor: $0.change.actor,
                    subject: $0.change.subject,
                    before: $0.change.before,
                    after: $0.change.after
                )
            },
            hasChanges: !changes.isEmpty
        )
    }

    /// The rules as an administrator reads them.
    static func sentence(_ rules: DestinationRules) -> String {
        let countries = { (list: [CallDestination]) in
            list.map { destination in
                switch destination {
                case let .country(country): "\(country.name) (\(country.rawValue))"
                case let .prefix(prefix): "numbers starting +\(prefix)"
                }
            }
        }
        var parts: [String] = []
        if !rules.blockedNumberTypes.isEmpty {
            parts.append("Blocks " + Self.list(NumberType.allCases.filter(rules.blockedNumberTypes.contains).map(\.words)) + " numbers")
        }
        switch rules.mode {
        case .blockListed where !rules.destinations.isEmpty: parts.append("blocks calls to " + Self.list(countries(rules.destinations)))
        case .blockListed: break
        case .allowListedOnly: parts.append("allows calls only to " + Self.list(countries(rules.destinations)))
        }
        guard !parts.isEmpty else { return "Every destination is allowed." }
        let text = parts.joined(separator: "; ")
        return text.prefix(1).uppercased() + text.dropFirst() + "."
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        guard let last = items.last, items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }
}
