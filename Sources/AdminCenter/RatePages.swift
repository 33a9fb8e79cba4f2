import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Hummingbird
import Reports

/// Rates: "see the rates for where you want to call" (seeds 002 and 003). Looks up a number or
/// a country in the tenant's rate deck, lists the rates in effect and those to come, a page at
/// a time, and says what each calling plan and Audio Conferencing include, with this month's
/// use of each pool.
struct RatePages {
    static let pageSize = 50

    let pages: PageRenderer
    let calls: CallService
    let directory: DirectoryService
    let records: AccountRecords
    let clock: any CreditsClock

    struct RateRow {
        let prefix, destination, country, numberType, perMinute, connectionFee, increments, effective: String

        init(_ rate: Rate, currency: Currency, today: CivilDate) {
            prefix = "+\(rate.prefix)"
            destination = rate.destination
            country = RatePages.country(of: rate.prefix)?.name ?? ""
            numberType = RatePages.words(rate.numberType)
            perMinute = MoneyText.forPeople(micros: rate.rateMicrosPerMinute, currency)
            connectionFee = rate.connectionFeeMicros == 0 ? "None" : MoneyText.forPeople(micros: rate.connectionFeeMicros, currency)
            increments =
                rate.firstIncrementSeconds == rate.nextIncrementSeconds
                ? "Per \(rate.firstIncrementSeconds) s"
                : "First \(rate.firstIncrementSeconds) s, then per \(rate.nextIncrementSeconds) s"
            effective = (rate.effectiveFrom > today ? "From " : "Since ") + ReadableDate.day(rate.effectiveFrom)
        }
    }

    /// A number looked up: the rate it is priced at today and what a call of some minutes costs.
    struct Match {
        let number, destination, terms, examples: String

        init(_ number: PhoneNumber, _ rate: Rate, currency: Currency, today: CivilDate) {
            let row = RateRow(rate, currency: currency, today: today)
            self.number = number.description
            destination = rate.destination
            terms =
                "\(row.perMinute) a minute (prefix \(row.prefix)\(row.country.isEmpty ? "" : ", \(row.country)")); "
                + (rate.connectionFeeMicros == 0 ? "no connection fee" : "a connection fee of \(row.connectionFee)") + "; billed "
                + row.increments.prefix(1).lowercased() + row.increments.dropFirst() + "; " + row.effective.prefix(1).lowercased()
                + row.effective.dropFirst() + "."
            examples = [1, 10, 60].map { minutes in
                "\(minutes) minute\(minutes == 1 ? "" : "s"): \(MoneyText.forPeople(rate.chargeMinor(forDuration: Int64(minutes) * 60, in: currency), currency))"
            }.joined(separator: "; ")
        }
    }

    struct PoolRow {
        let name: String
        let includes: String
        let size: String
        let used: String
        let left: String
        let exhausted: Bool
    }

    struct Page {
        let upn, tenantName, csrfToken: String
        let onRates = true
        let currency: String
        let query: String
        var error: String?
        var match: Match?
        var hasDeck = true
        var rows: [RateRow] = []
        var summary = ""
        var nextPageLink: String?
        var firstPageLink: String?
        let month: String
        let pools: [PoolRow]
        let creditsNote: String
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("rates") { request, context in
            let tenantId = try context.administrator(may: .readBilling).tenantId
            let tenant = try await directory.tenant(tenantId)
            let query = String((FormFields.query("q", of: request) ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(60))
            let offset = request.uri.queryParameters.get("from").flatMap { Int($0) }.map { max(0, $0) } ?? 0
            let now = clock.now()
            let today = now.civilDateAndTime.date
            let month = CalendarMonth(of: now)
            let frame = PageFrame(context, tenantName: tenant.name)
            var page = Page(
                upn: frame.upn,
                tenantName: frame.tenantName,
                csrfToken: frame.csrfToken,
                currency: tenant.currency.code,
                query: query,
                month: ReadableDate.month(month),
                pools: try await records.pools(of: tenantId, month: month).map(Self.poolRow),
                creditsNote: Self.creditsNote(tenant)
            )
            guard let deck = try await calls.rateBook().deck(for: tenant.currency) else {
                page.hasDeck = false
                return pages.render("rates", page)
            }
            var published = deck.published(on: today)
            if let number = Self.number(query) {
                if let rate = deck.rate(for: number, on: today) {
                    page.match = Match(number, rate, currency: deck.currency, today: today)
                } else {
                    page.error = "There is no rate for \(number) in the \(deck.currency) deck: calls to it are refused."
                }
                published = []
            } else if !query.isEmpty {
                published = published.filter { Self.matches($0, query) }
                if published.isEmpty {
                    page.error =
                        "No destination or country matches '\(query)'. Try a country's name, its two-letter code or a number like +44 20 7946 0000."
                }
            }
            let shown = published.dropFirst(offset).prefix(Self.pageSize)
            page.rows = shown.map { RateRow($0, currency: deck.currency, today: today) }
            if !shown.isEmpty {
                page.summary =
                    "Rates \(offset + 1) to \(offset + shown.count) of \(published.count), in \(deck.currency.code), as published on \(ReadableDate.day(today))."
            }
            let encoded = query.addingFormEncoding
            if offset + shown.count < published.count { page.nextPageLink = "/admin/rates?q=\(encoded)&from=\(offset + shown.count)#rates" }
            if offset > 0 { page.firstPageLink = "/admin/rates?q=\(encoded)#rates" }
            return pages.render("rates", page)
        }
    }

    /// A number as people type it: `+44 20 7946 0000`, `0044 20...` or digits with the country code.
    static func number(_ text: String) -> PhoneNumber? {
        var compact = text.filter { !" -().".contains($0) }
        if compact.hasPrefix("00") { compact = "+" + compact.dropFirst(2) }
        if !compact.hasPrefix("+") { compact = "+" + compact }
        guard compact.count > 1, compact.dropFirst().allSatisfy(\.isNumber) else { return nil }
        return try? PhoneNumber(compact)
    }

    static func country(of prefix: DialPrefix) -> CountryCode? {
        (try? PhoneNumber("+\(prefix)")).flatMap(NumberingPlan.country)
    }

    /// A destination's name, or its country's name or code.
    static func matches(_ rate: Rate, _ query: String) -> Bool {
        let needle = query.lowercased()
        if rate.destination.lowercased().contains(needle) { return true }
        guard let country = country(of: rate.prefix) else { return false }
        return country.rawValue.lowercased() == needle || country.name.lowercased().contains(needle)
    }

    static func words(_ type: NumberType) -> String {
        switch type {
        case .fixed: "Fixed"
        case .mobile: "Mobile"
        case .tollFree: "Toll-free"
        case .premium: "Premium"
        case .sharedCost: "Shared cost"
        }
    }

    /// A pool of `DOMAIN.md` section 7 in words: whose it is, what it pays for, and this month's use.
    static func poolRow(_ pool: PoolBalance) -> PoolRow {
        let key = pool.key
        let perUser = key.minutesPerUser
        let users = perUser > 0 ? pool.capacity / (perUser * 60) : 0
        let licensed = "\(users) licensed user\(users == 1 ? "" : "s")"
        let (name, includes): (String, String) =
            switch key.capability {
            case .conferencingPool:
                (
                    "Audio Conferencing dial-out",
                    "\(MoneyText.grouped(perUser)) minutes a month for each Audio Conferencing license (\(licensed)), shared by the organization, for dial-out from meetings to the \(NumberingPlan.zoneA.count) Zone A countries and regions."
                )
            case .domesticAndInternationalCallingPlan:
                (
                    "\(LicenseSku.domesticAndInternationalCallingPlan.displayName), \(key.country?.name ?? "")",
                    "\(MoneyText.grouped(perUser)) units a month for each user (\(licensed) in \(key.country?.name ?? "this country")), shared: a domestic minute uses 1 unit, an international minute 5."
                )
            default:
                (
                    "\(LicenseSku(rawValue: key.capability.rawValue)?.displayName ?? key.capability.rawValue), \(key.country?.name ?? "")",
                    "\(MoneyText.grouped(perUser)) minutes a month of domestic calls for each user (\(licensed) in \(key.country?.name ?? "this country")), shared by them."
                )
            }
        let unit = key.capability == .domesticAndInternationalCallingPlan ? "units" : "minutes"
        return PoolRow(
            name: name,
            includes: includes,
            size: "\(MoneyText.grouped(pool.capacity / 60)) \(unit)",
            used: "\(minutes(pool.used)) \(unit)",
            left: "\(minutes(max(0, pool.capacity - pool.used))) \(unit)",
            exhausted: !pool.hasTimeLeft
        )
    }

    /// What the credits pay for once the pools do not.
    static func creditsNote(_ tenant: Tenant) -> String {
        let payer =
            tenant.billingAccount.commerceModel.isPostUsage
            ? "Communications Credits pay for them while the balance lasts; after that they are billed after use, at these rates."
            : "Communications Credits pay for them, at these rates."
        return
            "Calls no pool includes (international calls on a domestic plan, minutes beyond a pool, toll-free calls into your conference bridge, auto attendants and call queues, every minute of a Pay-As-You-Go user): \(payer) Emergency calls and incoming calls to your own numbers are always free."
    }

    /// Seconds as minutes: `90` is "1.5".
    private static func minutes(_ seconds: Int64) -> String {
        seconds % 60 == 0 ? MoneyText.grouped(seconds / 60) : "\(MoneyText.grouped(seconds / 60)).\(seconds % 60 * 10 / 60)"
    }
}

extension String {
    /// For a query parameter's value.
    var addingFormEncoding: String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
        return addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
