import CreditsCore
import CreditsEngine
import Hummingbird

/// `/v1/tenants/{tenantId}/call-controls/velocity-alarm`: the toll-fraud guard's settings, the
/// sliding hour's spend, and the resume of calls it suspended.
extension ControlRoutes {
    private func velocityBody(_ tenantId: TenantId) async throws -> VelocityAlarmBody {
        let currency = try await directory.tenant(tenantId).currency
        return VelocityAlarmBody(try await controls.velocityStatus(of: tenantId), currency: currency)
    }

    func addVelocityAlarm(to tenant: RouterGroup<APIRequestContext>) {
        tenant.get("call-controls/velocity-alarm") { _, context in
            try await velocityBody(context.tenantId(for: .readBilling))
        }
        tenant.put("call-controls/velocity-alarm") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            let input = try await request.decodeJSON(VelocityAlarmInput.self, context: context)
            guard input.hourlyAmountMinor != nil || input.usualMultiple != nil else {
                throw Refusal.invalid(.invalidHourlyAmountMinor, "Give hourlyAmountMinor, usualMultiple or both; DELETE turns the alarm off.")
            }
            try await controls.setVelocityAlarm(
                hourlyAmountMinor: input.hourlyAmountMinor,
                usualMultiple: input.usualMultiple,
                of: tenantId,
                by: context.caller().actor
            )
            return try await velocityBody(tenantId)
        }
        tenant.delete("call-controls/velocity-alarm") { _, context in
            let tenantId = try context.tenantId(for: .buy)
            try await controls.setVelocityAlarm(hourlyAmountMinor: nil, usualMultiple: nil, of: tenantId, by: context.caller().actor)
            return try await velocityBody(tenantId)
        }
        tenant.post("call-controls/velocity-alarm/resume") { _, context in
            let tenantId = try context.tenantId(for: .buy)
            try await controls.resumeSuspendedCalls(of: tenantId, by: context.caller().actor)
            return try await velocityBody(tenantId)
        }
    }
}

struct VelocityAlarmInput: Decodable {
    let hourlyAmountMinor: Int64?
    let usualMultiple: Int64?
}

/// The alarm's settings (absent: not set), its threshold, the sliding hour's spend, and the
/// suspension when there is one.
struct VelocityAlarmBody: ResponseEncodable {
    let hourlyAmountMinor: Int64?
    let usualMultiple: Int64?
    let usualHourlyMinor: Int64?
    let usualHours: Int64?
    let usualComputedOn: String?
    let thresholdMinor: Int64?
    let hourStartsAt: String
    let chargedMinor: Int64
    let heldMinor: Int64
    let spentMinor: Int64
    let suspended: Bool
    let suspendedAt: String?
    let suspendedSpentMinor: Int64?
    let suspendedThresholdMinor: Int64?
    let currency: String

    init(_ status: VelocityStatus, currency: Currency) {
        let alarm = status.alarm
        hourlyAmountMinor = alarm.hourlyAmountMinor
        usualMultiple = alarm.usualMultiple
        usualHourlyMinor = alarm.usual?.p95Minor
        usualHours = alarm.usual?.hours
        usualComputedOn = alarm.usual.map { ISO8601.formatDate($0.computedOn.instant()) }
        thresholdMinor = alarm.thresholdMinor
        hourStartsAt = ISO8601.format(status.hourStartsAt)
        chargedMinor = status.chargedMinor
        heldMinor = status.heldMinor
        spentMinor = status.spentMinor
        suspended = alarm.suspension != nil
        suspendedAt = alarm.suspension.map { ISO8601.format($0.since) }
        suspendedSpentMinor = alarm.suspension?.spentMinor
        suspendedThresholdMinor = alarm.suspension?.thresholdMinor
        self.currency = currency.code
    }
}
