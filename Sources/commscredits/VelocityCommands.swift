import ArgumentParser
import CreditsCore
import CreditsEngine

extension Controls {
    struct Velocity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the velocity alarm, the guard against toll fraud.",
            discussion:
                "Past the threshold (--hourly, or --usual-multiple times the usual hourly spend, whichever is lower), international and premium calls paid from the credits are suspended until `controls resume`. Without an option it shows the alarm and the sliding hour."
        )
        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "The most spent in a sliding hour, in the tenant's currency, like 50.00.") var hourly: String?
        @Option(help: "This many times (2 to 100) the usual hourly spend, the 95th percentile of the last 90 days' hours.") var usualMultiple: Int64?
        @Flag(help: "Turn the alarm off (a suspension stands until resumed).") var off = false
        @OptionGroup var options: DatabaseOption

        func validate() throws {
            guard !off || (hourly == nil && usualMultiple == nil) else { throw ValidationError("--off takes no --hourly or --usual-multiple.") }
        }

        func run() async throws {
            try await withServices(options) { services in
                let tenantId = TenantId(tenant)
                let currency = try await services.directory.tenant(tenantId).currency
                let service = services.controls
                if off || hourly != nil || usualMultiple != nil {
                    let amount = try hourly.map { text throws(Refusal) in
                        try MoneyText.amount(text, currency, field: .invalidHourly, example: "50.00")
                    }
                    try await service.setVelocityAlarm(hourlyAmountMinor: amount, usualMultiple: usualMultiple, of: tenantId, by: commandLineActor)
                }
                let status = try await service.velocityStatus(of: tenantId)
                let money = { (minor: Int64) in MoneyText.forPeople(minor, currency) }
                let alarm = status.alarm
                print(
                    "Velocity alarm: "
                        + (alarm.thresholdMinor.map { "suspends past \(money($0)) in an hour" } ?? (alarm.isOn ? "on, judging nothing yet" : "off"))
                )
                if let amount = alarm.hourlyAmountMinor { print("Hourly amount: \(money(amount))") }
                if let multiple = alarm.usualMultiple {
                    print(
                        "Usual hourly spend: \(alarm.usual.map { "\(money($0.p95Minor)) over \($0.hours) hours" } ?? "not worked out"), times \(multiple)"
                    )
                }
                print(
                    "Sliding hour since \(ISO8601.format(status.hourStartsAt)): \(money(status.chargedMinor)) charged, \(money(status.heldMinor)) held"
                )
                if let suspension = alarm.suspension {
                    print(
                        "Suspended since \(ISO8601.format(suspension.since)): \(money(suspension.spentMinor)) in an hour, over \(money(suspension.thresholdMinor))"
                    )
                }
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let international and premium credit-paid calls through again after the velocity alarm suspended them."
        )
        @Option(help: "The tenant id.") var tenant: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let service = services.controls
                let before = try await service.controls(of: TenantId(tenant)).velocity.suspension
                try await service.resumeSuspendedCalls(of: TenantId(tenant), by: commandLineActor)
                print(before == nil ? "Nothing was suspended." : "Resumed; the alarm's hour starts afresh.")
            }
        }
    }
}
