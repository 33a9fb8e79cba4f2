import CreditsCore
import CreditsEngine
import CreditsStore

extension SimulationDriver {
    /// An administrator sets the velocity alarm (an hourly amount, a multiple of the usual
    /// spend, or both) or turns it off.
    mutating func setVelocityAlarm() async throws {
        let tenant = anyTenant()
        let amount: Int64? = [nil, 100, 300, 2_000].randomElement(using: &random)!
        let multiple: Int64? = [nil, nil, 3, 10].randomElement(using: &random)!
        try await process.controls.setVelocityAlarm(hourlyAmountMinor: amount, usualMultiple: multiple, of: tenant, by: "simulation")
    }

    /// An administrator resumes the calls the alarm suspended: none are, and the hour is empty.
    mutating func resumeSuspendedCalls() async throws {
        let tenant = anyTenant()
        let wasSuspended = try await process.controls.controls(of: tenant).velocity.suspension != nil
        try await process.controls.resumeSuspendedCalls(of: tenant, by: "simulation")
        let status = try await process.controls.velocityStatus(of: tenant)
        guard status.alarm.suspension == nil, !wasSuspended || status.chargedMinor == 0 else {
            throw SimulationChecks.Problem("a resume left \(tenant)'s calls suspended, or its hour's charges counted (\(status.chargedMinor))")
        }
        if wasSuspended { checks.count("velocityResume") }
    }

    /// The invariants, judged from what is stored: an international or premium call granted
    /// credit-paid time that holds more leaves the alarm unsuspended, with the sliding hour's
    /// spend (the stored minutes and the ledger's holds) within the threshold; a call refused as
    /// `velocitySuspended` finds the alarm suspended and the administrators told.
    mutating func checkVelocity(after answer: CallAnswer, holdsMore: Bool, callee: String, in tenant: TenantId) async throws {
        let (country, type) = Self.calleeFacts[callee]!
        let suspendable = country != "US" || type == .premium
        let status = try await process.controls.velocityStatus(of: tenant)
        if answer.reason == .velocitySuspended {
            guard let suspension = status.alarm.suspension else {
                throw SimulationChecks.Problem("a call to \(callee) of \(tenant) was refused by a velocity alarm that suspends nothing")
            }
            let told = try await process.stores.notifications.notifications(for: tenant, before: nil, limit: 10_000).contains {
                $0.notification.event == .velocityAlarm(suspension)
            }
            guard told, suspendable else {
                throw SimulationChecks.Problem("a velocitySuspended refusal of a call to \(callee) of \(tenant): told \(told)")
            }
            checks.refused(by: .velocitySuspended)
            return
        }
        guard answer.allowed, holdsMore, answer.capability?.isCredits == true, suspendable else { return }
        if let suspension = status.alarm.suspension {
            throw SimulationChecks.Problem("a call to \(callee) of \(tenant) was granted credits while suspended since \(suspension.since)")
        }
        if let threshold = status.alarm.thresholdMinor, status.spentMinor > threshold {
            throw SimulationChecks.Problem(
                "a call to \(callee) of \(tenant) took the hour's spend to \(status.spentMinor) (\(status.chargedMinor) charged), past \(threshold)"
            )
        }
    }
}
