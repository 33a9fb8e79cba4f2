import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Payments

/// The operations a simulation draws: what administrators, the telephony platform and time do.
extension SimulationDriver {
    /// Three tenants: web-direct paying by card, Volume Licensing paying by agreement, and a
    /// web-direct tenant that moves between classic and post-usage; each funded, with an
    /// administrator who gets the notifications, a webhook, and callers with credits, a calling
    /// plan and conferencing.
    mutating func setUp() async throws {
        _ = try await process.calls.importRates(Array(Self.rates.utf8), currency: .usd)
        world.setFaults(false)
        defer { world.setFaults(true) }
        for (index, tenant) in tenants.enumerated() {
            let agreement = index == 1 ? try EnterpriseAgreement(number: "EA-1001", billingCountry: CountryCode("US")!) : nil
            try await open(tenant, agreement: agreement)
            // The credits license needs a funded balance.
            let order = PurchaseOrder(
                amountMinor: 5000,
                payment: agreement == nil
                    ? .card(token: SimulatedGateway.goodToken)
                    : .agreement(number: "EA-1001", purchaseOrder: nil),
                autoRecharge: nil
            )
            let key = try IdempotencyKey("funding-\(tenant)")
            purchases.append((tenant, key, order))
            _ = try await process.billing.purchase(order, for: tenant, key: key)
            try await addPeople(to: tenant, creditsLicense: true)
        }
    }

    /// A new web-direct tenant joins, unfunded: its callers get the credits license once it buys.
    mutating func createTenant() async throws {
        let tenant = touching(TenantId("tenant-\(step)"))
        try await open(tenant, agreement: nil)
        tenants.append(tenant)
        try await addPeople(to: tenant, creditsLicense: false)
    }

    private func open(_ tenant: TenantId, agreement: EnterpriseAgreement?) async throws {
        let account = try BillingAccount(
            channel: agreement == nil ? .webDirect : .volumeLicensing,
            commerceModel: .classic,
            agreements: agreement.map { [$0] } ?? []
        )
        try await process.directory.createTenant(
            Tenant(
                id: tenant,
                name: tenant.rawValue.capitalized,
                country: CountryCode("US")!,
                currency: .usd,
                billingAccount: account,
                createdAt: world.clock.now()
            )
        )
        try await process.stores.notifications.addWebhook(
            Webhook(
                id: "hook-\(tenant)",
                tenantId: tenant,
                url: "https://hooks.example/\(tenant)",
                secret: "secret",
                createdAt: world.clock.now()
            )
        )
    }

    private func addPeople(to tenant: TenantId, creditsLicense: Bool) async throws {
        let credits: Set<LicenseSku> = creditsLicense ? [.communicationsCredits] : []
        let people: [(String, Set<Role>, Set<LicenseSku>)] = [
            ("admin", [.billingAdministrator], []),
            ("ana", [], credits.union([.phoneSystem, .payAsYouGoCallingPlan])),
            ("ben", [], credits.union([.phoneSystem, .domesticCallingPlan120])),
            ("cho", [], credits.union([.audioConferencing])),
        ]
        for (name, roles, licenses) in people {
            let upn = try UserPrincipalName("\(name)@\(tenant.rawValue).example")
            try await process.directory.addUser(
                User(upn: upn, displayName: name.capitalized, usageLocation: CountryCode("US")!, roles: roles),
                to: tenant
            )
            if !licenses.isEmpty { _ = try await process.directory.changeLicenses(of: upn, in: tenant, LicenseChange(add: licenses)) }
        }
    }

    /// A tenant for the next operation, which the checks after it then read.
    mutating func anyTenant() -> TenantId { touching(tenants.randomElement(using: &random)!) }

    /// A tenant that buys: any but the one that moves to post-usage, which lives on its first
    /// funds until they are used up and post-usage billing starts.
    private mutating func buyingTenant() -> TenantId { touching(tenants.filter { $0 != tenants[2] }.randomElement(using: &random)!) }

    private mutating func touching(_ tenant: TenantId) -> TenantId {
        touched.insert(tenant)
        return tenant
    }

    mutating func purchase() async throws {
        let tenant = buyingTenant()
        let payment: PurchaseOrder.Payment =
            switch Int.random(in: 0..<10, using: &random) {
            case 0: .card(token: SimulatedGateway.declinedToken)
            case 1...3: .agreement(number: "EA-1001", purchaseOrder: nil)
            default: .card(token: SimulatedGateway.goodToken)
            }
        let order = PurchaseOrder(amountMinor: Int64.random(in: 1...40, using: &random) * 500, payment: payment, autoRecharge: nil)
        let key = try IdempotencyKey("purchase-\(step)")
        purchases.append((tenant, key, order))
        interruptedPurchase = (tenant, key, order)
        _ = try await process.billing.purchase(order, for: tenant, key: key)
    }

    /// The administrator's browser sends a purchase again: the first answer, nothing twice.
    mutating func repeatPurchase() async throws {
        guard let first = purchases.randomElement(using: &random) else { return }
        _ = try await process.billing.purchase(first.order, for: touching(first.tenant), key: first.key)
    }

    /// After a crash the client tries its purchase once more with the same key.
    mutating func retryInterruptedPurchase() async throws {
        guard let purchase = interruptedPurchase else { return }
        interruptedPurchase = nil
        do {
            _ = try await process.billing.purchase(purchase.order, for: purchase.tenant, key: purchase.key)
        } catch is Refusal {
        } catch is LedgerError {
        } catch  where world.lifeline.isDead {
        }
        if world.lifeline.isDead {
            report.crashes += 1
            try await restart()
        }
    }

    mutating func autoRecharge() async throws {
        let tenant = buyingTenant()
        if Bool.random(using: &random) {
            _ = try await process.billing.setPaymentMethod(
                tenant == tenants[1]
                    ? .agreement(number: "EA-1001", purchaseOrder: nil)
                    : .card(token: SimulatedGateway.goodToken),
                for: tenant
            )
            let settings = try AutoRechargeSettings(
                enabled: true,
                rechargeAmountMinor: Int64.random(in: 4...20, using: &random) * 500,
                triggerAmountMinor: Int64.random(in: 1...6, using: &random) * 500,
                currency: .usd
            )
            try await process.billing.setAutoRecharge(settings, for: tenant)
        } else {
            try await process.billing.setAutoRecharge(
                AutoRechargeSettings(unchecked: false, rechargeAmountMinor: 5000, triggerAmountMinor: 1000),
                for: tenant
            )
        }
    }

    mutating func startCall() async throws {
        let tenant = anyTenant()
        let caller = ["ana", "ben", "cho"].randomElement(using: &random)!
        let type: CallType = caller == "cho" ? .conferenceOut : .userOut
        let session = try CallSessionId("call-\(step)")
        let user = try UserPrincipalName("\(caller)@\(tenant.rawValue).example")
        let callee = Self.callees.randomElement(using: &random)!
        let answer = try await process.calls.start(
            CallStart(
                sessionId: session,
                requestNumber: 1,
                callType: type,
                upn: user,
                caller: try PhoneNumber("+12065550111"),
                callee: try PhoneNumber(callee),
                startTime: world.clock.now()
            ),
            for: tenant
        )
        try await checkDestination(of: answer, callee: callee, user: user, in: tenant)
        let units = try await process.stores.directory.user(user, in: tenant)?.administrativeUnits ?? []
        try await checkSpendLimit(after: answer, user: user, units: units, in: tenant, startedAt: world.clock.now())
        try await checkVelocity(after: answer, holdsMore: answer.allowed, callee: callee, in: tenant)
        if answer.reason == .spendLimitReached { checks.refused(by: .spendLimitReached) }
        if answer.allowed {
            openCalls.append(
                OpenCall(tenant: tenant, session: session, startedAt: world.clock.now(), requestNumber: 1, granted: answer.grantedSeconds)
            )
        }
    }

    /// The platform reports an open call's answer, progress or end, or cancels one that rang
    /// unanswered (or, now and then, goes silent: the call stays open until it times out). Its
    /// reports mostly keep within the grant; some overrun it, which the service refuses (an
    /// update) or clamps (an end).
    mutating func continueCall() async throws {
        guard !openCalls.isEmpty else { return }
        let index = Int.random(in: 0..<openCalls.count, using: &random)
        var call = openCalls[index]
        _ = touching(call.tenant)
        call.requestNumber += 1
        let roll = Int.random(in: 0..<10, using: &random)
        if !call.answered, roll < 2 {
            openCalls.remove(at: index)
            _ = try await process.calls.step(call.session, requestNumber: call.requestNumber, .cancel, for: call.tenant)
            return
        }
        if !call.answered, roll < 5 {
            call.answered = true
            openCalls[index] = call
            _ = try await process.calls.step(call.session, requestNumber: call.requestNumber, .answer, for: call.tenant)
            return
        }
        world.clock.advance(seconds: Int64.random(in: 5...900, using: &random))
        let elapsed = (world.clock.now().millisecondsSinceEpoch - call.startedAt.millisecondsSinceEpoch) / 1_000
        call.used = max(call.used, min(elapsed, call.granted + Int64.random(in: 0...8, using: &random)))
        if roll < 8 {
            openCalls[index] = call
            let heldBefore = try await process.stores.calls.session(call.session, for: call.tenant)?.heldMinor ?? 0
            let more = try await process.calls.update(call.session, requestNumber: call.requestNumber, usedSeconds: call.used, for: call.tenant)
            openCalls[index].granted = call.used + more.grantedSeconds
            // An update that holds no more (it grants what the call already holds) is allowed past a lowered limit.
            let session = try await process.stores.calls.session(call.session, for: call.tenant)
            if let session, session.heldMinor > heldBefore, let user = session.facts.user {
                try await checkSpendLimit(after: more, user: user.upn, units: user.administrativeUnits, in: call.tenant, startedAt: call.startedAt)
            }
            if let session {
                try await checkVelocity(
                    after: more,
                    holdsMore: session.heldMinor > heldBefore,
                    callee: session.facts.callee.description,
                    in: call.tenant
                )
            }
        } else {
            openCalls.remove(at: index)
            let ended = try await process.calls.end(
                call.session,
                requestNumber: call.requestNumber,
                durationSeconds: call.used,
                endTime: world.clock.now(),
                for: call.tenant
            )
            if ended.replacedChargeMinor != nil { checks.replaced(recordOf: call.tenant) }
        }
    }

    /// Uploads call records, some of them sent before (the platform retries).
    mutating func upload() async throws {
        let tenant = anyTenant()
        var batch: [UsageUpload] = []
        for index in 0..<Int.random(in: 1...4, using: &random) {
            if let earlier = uploads.filter({ $0.tenant == tenant }).randomElement(using: &random), Int.random(in: 0..<4, using: &random) == 0 {
                batch.append(earlier.upload)
                continue
            }
            let caller = ["ana", "ben", "cho", "nobody"].randomElement(using: &random)!
            batch.append(
                UsageUpload(
                    usageId: try CallSessionId("usage-\(step)-\(index)"),
                    callId: nil,
                    conferenceId: nil,
                    callType: caller == "cho" ? .conferenceOut : .userOut,
                    upn: try UserPrincipalName("\(caller)@\(tenant.rawValue).example"),
                    caller: try PhoneNumber("+12065550111"),
                    callee: try PhoneNumber(Self.callees.randomElement(using: &random)!),
                    startTime: world.clock.now().adding(seconds: -Int64.random(in: 60...7200, using: &random)),
                    durationSeconds: Int64.random(in: 0...3600, using: &random),
                    messageUnits: 0,
                    userObjectId: nil,
                    administrativeUnits: nil
                )
            )
        }
        let results = try await process.calls.record(batch, for: tenant)
        for (upload, result) in zip(batch, results) {
            switch result {
            case let .charged(record), let .duplicate(record):
                uploads.append((tenant, upload))
                checks.acknowledged(record.usageId, of: tenant)
            case .refused: break
            }
        }
    }

    mutating func changeLicenses() async throws {
        let tenant = anyTenant()
        let user = try UserPrincipalName("\(["ana", "ben", "cho"].randomElement(using: &random)!)@\(tenant.rawValue).example")
        let license: LicenseSku = [.communicationsCredits, .domesticCallingPlan120, .audioConferencing].randomElement(using: &random)!
        let change = Bool.random(using: &random) ? LicenseChange(add: [license]) : LicenseChange(remove: [license])
        _ = try await process.directory.changeLicenses(of: user, in: tenant, change)
    }

    /// The third tenant moves to NCE or MCA (billed after use) or back to prepaid credits.
    mutating func switchModel() async throws {
        let model = CommerceModel.allCases.randomElement(using: &random)!
        _ = try await process.directory.updateTenant(touching(tenants[2]), commerceModel: model)
    }

    /// Minutes to weeks pass, or the clock comes to just before a month ends (29 February 2028
    /// first), then what fell due runs.
    mutating func advanceClock() async throws {
        let now = world.clock.now()
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<4: world.clock.advance(seconds: Int64.random(in: 60...7200, using: &random))
        case 4..<7: world.clock.advance(seconds: Int64.random(in: 3600...(2 * 86_400), using: &random))
        case 7..<9: world.clock.advance(seconds: Int64.random(in: 2...25, using: &random) * 86_400)
        default:
            let leapDay = ISO8601.parse("2028-02-29T00:00:00Z")!
            let monthEnd = now < leapDay ? leapDay.adding(days: 1) : CalendarMonth(of: now).start.adding(months: 1)
            world.clock.advance(to: monthEnd.adding(seconds: -Int64.random(in: 60...(20 * 3600), using: &random)))
        }
        try await process.dueWork.run()
    }

    /// Months pass (lots expire, months end, post-usage invoices are issued).
    mutating func advanceMonths() async throws {
        world.clock.advance(to: world.clock.now().adding(months: Int.random(in: 1...6, using: &random)))
        try await process.dueWork.run()
    }
}

// MARK: Call controls

extension SimulationDriver {
    /// What the simulation's callees are, for judging rules without the product's own code:
    /// the country each is in and its number type by the deck.
    static let calleeFacts: [String: (country: String, type: NumberType)] = [
        "+12065550123": ("US", .fixed), "+442071234567": ("GB", .fixed), "+447700900123": ("GB", .mobile),
        "+4930123456": ("DE", .fixed), "+18885550100": ("US", .fixed), "+19005550100": ("US", .premium),
    ]

    /// An administrator replaces the destination rules of a tenant or of one of its users: some
    /// blocked, an allow list, or none.
    mutating func setDestinationRules() async throws {
        let tenant = anyTenant()
        let listed = ["GB", "DE", "US", "+4477", "+1888", "+49"].filter { _ in Int.random(in: 0..<3, using: &random) == 0 }
        let types: Set<NumberType> = Bool.random(using: &random) ? [.mobile] : []
        let mode: DestinationRules.Mode = !listed.isEmpty && Int.random(in: 0..<3, using: &random) == 0 ? .allowListedOnly : .blockListed
        let rules = try DestinationRules(blockedNumberTypes: types, mode: mode, destinations: listed.map { try CallDestination($0) })
        let user =
            Bool.random(using: &random)
            ? try UserPrincipalName("\(["ana", "ben", "cho"].randomElement(using: &random)!)@\(tenant.rawValue).example") : nil
        try await process.controls.setDestinationRules(rules, of: tenant, user: user, by: "simulation")
    }

    /// The invariant: a call is allowed only when the rules stored for its tenant let it through,
    /// and refused as `destinationBlocked` only when they do not; judged here from the rules'
    /// plain meaning.
    mutating func checkDestination(of answer: CallAnswer, callee: String, user: UserPrincipalName, in tenant: TenantId) async throws {
        let controls = try await process.stores.calls.controls(of: tenant)
        let (country, type) = Self.calleeFacts[callee]!
        let passes = { (rules: DestinationRules) -> Bool in
            if rules.blockedNumberTypes.contains(type) { return false }
            let listed = rules.destinations.contains { "\($0)" == country || callee.hasPrefix("\($0)") && "\($0)".hasPrefix("+") }
            return rules.mode == .blockListed ? !listed : listed
        }
        let allowedByRules = passes(controls.destinations) && controls.userDestinations[user].map(passes) ?? true
        if answer.allowed, !allowedByRules {
            throw SimulationChecks.Problem(
                "a call to \(callee) by \(user) was allowed past the destination rules (the tenant: \(controls.destinations); the user: \(controls.userDestinations[user]?.description ?? "none"))"
            )
        }
        if answer.reason == .destinationBlocked, allowedByRules {
            throw SimulationChecks.Problem("a call to \(callee) by \(user) was refused by destination rules that allow it")
        }
        if answer.reason == .destinationBlocked { checks.refused(by: .destinationBlocked) }
    }
}

extension SimulationDriver {
    /// The administrative units of the simulation's users.
    static let units = [try! AdministrativeUnit("Sales"), try! AdministrativeUnit("Ops")]

    /// An administrator sets, changes or takes away the monthly spend limit of a user or of an
    /// administrative unit, or moves a user to other units.
    mutating func setSpendLimit() async throws {
        let tenant = anyTenant()
        let user = try UserPrincipalName("\(["ana", "ben", "cho"].randomElement(using: &random)!)@\(tenant.rawValue).example")
        let limit: Int64? = [nil, 0, 50, 500, 5_000].randomElement(using: &random)!
        switch Int.random(in: 0..<3, using: &random) {
        case 0: try await process.controls.setSpendLimit(limit, of: tenant, user: user, by: "simulation")
        case 1: try await process.controls.setSpendLimit(limit, of: tenant, unit: Self.units.randomElement(using: &random)!, by: "simulation")
        default:
            let units = Set(Self.units.filter { _ in Bool.random(using: &random) })
            _ = try await process.directory.setAdministrativeUnits(units, of: user, in: tenant)
        }
    }

    /// The invariant: once a credit-paid grant holds more, what the calls of the user, and of
    /// each of the user's units (as at the call's start), spent and hold this month is within
    /// the limit in force (a grant never reaches past it).
    func checkSpendLimit(
        after answer: CallAnswer,
        user: UserPrincipalName,
        units: Set<AdministrativeUnit>,
        in tenant: TenantId,
        startedAt: Instant
    ) async throws {
        guard answer.allowed, answer.grantedSeconds > 0, answer.capability?.isCredits == true else { return }
        let controls = try await process.stores.calls.controls(of: tenant)
        let month = CalendarMonth(of: startedAt)
        let spends =
            try await process.stores.calls.userSpends(of: tenant, month: month)
            + process.stores.calls.unitSpends(of: tenant, month: month)
        for slot in MonthlySpend.slots(upn: user, units: units, startTime: startedAt) {
            guard let limit = controls.spendLimit(of: slot.spender), let spend = spends.first(where: { $0.slot == slot }) else { continue }
            guard spend.spentMinor + spend.heldMinor > limit else { continue }
            throw SimulationChecks.Problem(
                "\(user) was granted credit-paid time past the limit of \(slot.spender.name) of \(limit): "
                    + "\(spend.spentMinor) spent, \(spend.heldMinor) held in \(month)"
            )
        }
    }

    /// Once every call has ended: each user and unit with a limit has spent this month what
    /// the month's credit-paid records of the user, or naming the unit, were charged, and
    /// nothing is held.
    func checkSpendAgreesWithRecords() async throws {
        let now = world.clock.now()
        let month = CalendarMonth(of: now)
        for tenant in tenants {
            let controls = try await process.stores.calls.controls(of: tenant)
            let limited =
                controls.userSpendLimits.keys.map { MonthlySpend.Slot(upn: $0, month: month) }
                + controls.unitSpendLimits.keys.map { MonthlySpend.Slot(.unit($0), month: month) }
            guard !limited.isEmpty else { continue }
            let records = try await process.stores.calls.usageRecords(
                for: tenant,
                from: month.start,
                to: now.adding(days: 1),
                after: nil,
                limit: 1_000_000
            ).filter { $0.capability.isCredits && CalendarMonth(of: $0.startTime) == month }
            let spends =
                try await process.stores.calls.userSpends(of: tenant, month: month)
                + process.stores.calls.unitSpends(of: tenant, month: month)
            for slot in limited {
                let charged = records.filter { record in
                    switch slot.spender {
                    case let .user(upn): record.upn == upn
                    case let .unit(unit): AdministrativeUnit.unlisted(record.administrativeUnits).contains(unit)
                    }
                }.reduce(0) { $0 + $1.chargeMinor }
                let spend = spends.first { $0.slot == slot } ?? MonthlySpend(slot: slot)
                guard spend.spentMinor == charged, spend.heldMinor == 0 else {
                    throw SimulationChecks.Problem(
                        "\(slot.spender.name) in \(month): \(spend.spentMinor) spent and \(spend.heldMinor) held, but the records were charged \(charged)"
                    )
                }
            }
        }
    }
}
