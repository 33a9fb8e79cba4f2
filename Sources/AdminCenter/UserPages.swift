import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Hummingbird

/// Users > Active users: the list, a license for many users at once, and each user's
/// Licenses and apps with the refusal shown beside the license it concerns.
struct UserPages {
    let pages: PageRenderer
    let directory: DirectoryService
    let controls: CallControlService

    struct SkuOption {
        let code: String
        let name: String
    }
    struct UserRow {
        let index: Int
        let upn: String
        let displayName: String
        let location: String
        let licenses: String
    }
    struct ListPage {
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onUsers = true
        let users: [UserRow]
        let skus: [SkuOption]
        var done: String?
        var refusals: [String] = [] { didSet { hasRefusals = !refusals.isEmpty } }
        /// Stored: templates see stored properties only.
        var hasRefusals = false
    }
    struct SkuToggle {
        let code: String
        let name: String
        let held: Bool
        let refusal: String?
    }
    struct UserPage {
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onUsers = true
        let displayName: String
        let location: String
        let roles: String?
        /// "Administrative units: EMEA, Sales", when the user is in any.
        let units: String?
        var skus: [SkuToggle]
        var saved = false
        let userUpn: String
        /// Where the user's calls may go, and what their spend limit leaves, in sentences.
        var destinationRules = ""
        var spendLimit = ""
    }

    /// The most users the list shows (our bound; the API pages through any number).
    static let listLimit = 500

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("users") { request, context in
            let (tenantId, frame) = try await caller(context)
            var page = try await list(tenantId, frame)
            let query = request.uri.queryParameters
            page.done = Self.doneSentence(assigned: query.get("assigned"), removed: query.get("removed"), count: query.get("count"))
            return pages.render("users", page)
        }
        router.post("users/licenses") { request, context -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let pairs = FormFields.pairs(String(buffer: body))
            let (tenantId, frame) = try await caller(context)
            let selected = pairs.filter { $0.0 == "user" }.map(\.1)
            let sku = try LicenseSku.parse(pairs.first { $0.0 == "sku" }?.1 ?? "")
            let removing = pairs.first { $0.0 == "action" }?.1 == "remove"
            var page = try await list(tenantId, frame)
            guard !selected.isEmpty else {
                page.refusals = ["Select at least one user."]
                return pages.render("users", page, status: .unprocessableContent)
            }
            do {
                let changes = try selected.enumerated().map { index, upn in
                    NumberedLine(
                        line: index + 1,
                        value: UserLicenseChange(
                            upn: try UserPrincipalName(upn),
                            change: removing ? LicenseChange(remove: [sku]) : LicenseChange(add: [sku])
                        )
                    )
                }
                _ = try await directory.changeLicenses(changes, in: tenantId)
                return Response.redirect(
                    to: "/admin/users?\(removing ? "removed" : "assigned")=\(sku.rawValue)&count=\(selected.count)",
                    type: .normal
                )
            } catch let refused as RefusedLines {
                page.refusals = refused.lines.map { "\(selected[$0.line - 1]): \($0.error.detail) \($0.error.remedy ?? "")" }
            } catch let error as Refusal {
                page.refusals = ["\(error.detail) \(error.remedy ?? "")"]
            }
            return pages.render("users", page, status: .unprocessableContent)
        }
        router.get("users/:upn") { request, context in
            let (tenantId, frame) = try await caller(context)
            let user = try await directory.user(UserPrincipalName(try context.parameters.require("upn")), in: tenantId)
            var page = Self.userPage(user, frame, refusal: nil)
            page.saved = request.uri.queryParameters.get("saved") != nil
            (page.destinationRules, page.spendLimit) = try await callControls(of: user.upn, in: tenantId)
            return pages.render("user", page)
        }
        router.post("users/:upn") { request, context -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            let wanted = Set(FormFields.pairs(String(buffer: body)).filter { $0.0 == "sku" }.compactMap { LicenseSku(rawValue: $0.1) })
            let (tenantId, frame) = try await caller(context)
            let user = try await directory.user(UserPrincipalName(try context.parameters.require("upn")), in: tenantId)
            do {
                _ = try await directory.changeLicenses(
                    of: user.upn,
                    in: tenantId,
                    LicenseChange(add: wanted.subtracting(user.licenses), remove: user.licenses.subtracting(wanted))
                )
                return Response.redirect(to: "/admin/users/\(user.upn)?saved=1", type: .normal)
            } catch let error as Refusal {
                var page = Self.userPage(user, frame, refusal: (LicenseSku.communicationsCredits, "\(error.detail) \(error.remedy ?? "")"))
                page.skus = page.skus.map {
                    SkuToggle(code: $0.code, name: $0.name, held: wanted.contains(LicenseSku(rawValue: $0.code)!), refusal: $0.refusal)
                }
                (page.destinationRules, page.spendLimit) = try await callControls(of: user.upn, in: tenantId)
                return pages.render("user", page, status: .unprocessableContent)
            }
        }
    }

    /// The banner after a bulk change, drawn from what the address names (a license and a
    /// count), never from text it carries: a link cannot make the page say something else.
    static func doneSentence(assigned: String?, removed: String?, count: String?) -> String? {
        let change = assigned.map { ($0, "assigned to") } ?? removed.map { ($0, "removed from") }
        guard let (code, verb) = change, let sku = LicenseSku(rawValue: code), let count = count.flatMap({ Int($0) }), count > 0 else { return nil }
        return "\(sku.displayName) \(verb) \(count) user\(count == 1 ? "" : "s")."
    }

    /// The destination rules that apply to the user, and the user's spend limit this month.
    private func callControls(of upn: UserPrincipalName, in tenantId: TenantId) async throws -> (rules: String, limit: String) {
        let controls = try await self.controls.controls(of: tenantId)
        let currency = try await directory.tenant(tenantId).currency
        var rules = "The tenant's rules: " + ControlPages.sentence(controls.destinations)
        if let own = controls.userDestinations[upn] { rules += " Their own rules apply as well: " + ControlPages.sentence(own) }
        let (limit, spend) = try await self.controls.spendLimit(of: tenantId, user: upn)
        let money = { (minor: Int64) in MoneyText.forPeople(minor, currency) }
        var sentences = [
            limit.map {
                "Monthly spend limit \(money($0)): \(money(spend.spentMinor)) spent and \(money(spend.heldMinor)) held in "
                    + "\(ReadableDate.month(spend.slot.month)); \(money(spend.leftMinor(under: $0))) left."
            } ?? "No monthly spend limit of their own."
        ]
        let units = try await directory.user(upn, in: tenantId).administrativeUnits.map(MonthlySpend.Spender.unit)
        for unit in try await self.controls.unitSpendLimits(of: tenantId) where units.contains(unit.spend.slot.spender) {
            sentences.append(
                "Their unit \(unit.spend.slot.spender.name) has a monthly limit of \(money(unit.limitMinor)), shared by its users: "
                    + "\(money(unit.leftMinor)) left."
            )
        }
        return (rules, sentences.joined(separator: " "))
    }

    private func caller(_ context: APIRequestContext) async throws -> (TenantId, PageFrame) {
        let tenantId = try context.administrator(may: .assignLicenses).tenantId
        return (tenantId, PageFrame(context, tenantName: try await directory.tenant(tenantId).name))
    }

    private func list(_ tenantId: TenantId, _ frame: PageFrame) async throws -> ListPage {
        let users = try await directory.users(in: tenantId, after: nil, limit: Self.listLimit)
        return ListPage(
            upn: frame.upn,
            tenantName: frame.tenantName,
            csrfToken: frame.csrfToken,
            users: users.enumerated().map { index, user in
                UserRow(
                    index: index,
                    upn: user.upn.rawValue,
                    displayName: user.displayName,
                    location: user.usageLocation.rawValue,
                    licenses: user.licenses.sorted().map(\.displayName).joined(separator: ", ")
                )
            },
            skus: LicenseSku.allCases.map { SkuOption(code: $0.rawValue, name: $0.displayName) }
        )
    }

    /// `refusal` is shown beside the license it concerns: the prerequisite rule is about Communications Credits.
    private static func userPage(_ user: User, _ frame: PageFrame, refusal: (LicenseSku, String)?) -> UserPage {
        UserPage(
            upn: frame.upn,
            tenantName: frame.tenantName,
            csrfToken: frame.csrfToken,
            displayName: user.displayName,
            location: user.usageLocation.rawValue,
            roles: user.roles.isEmpty ? nil : user.roles.sorted().map(\.displayName).joined(separator: ", "),
            units: user.administrativeUnits.isEmpty
                ? nil : "administrative units " + user.administrativeUnits.sorted().map(\.rawValue).joined(separator: ", "),
            skus: LicenseSku.allCases.map { sku in
                SkuToggle(code: sku.rawValue, name: sku.displayName, held: user.licenses.contains(sku), refusal: refusal?.0 == sku ? refusal?.1 : nil)
            },
            userUpn: user.upn.rawValue
        )
    }
}
