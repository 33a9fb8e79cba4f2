import CreditsCore
import Testing

@Suite("The velocity alarm's rules")
struct VelocityRuleTests {
    let start = ISO8601.parse("2027-03-01T09:00:30Z")!

    @Test("A minute's charges count while it is one of the last 60, then are forgotten whole")
    func slidingMinutes() {
        var hour = SpendMinutes()
        hour.add(20, at: start)
        hour.add(5, at: start.adding(seconds: 29))
        hour.add(7, at: start.adding(seconds: 60))
        #expect(hour.totalMinor == 32 && hour.minutes.count == 2)
        let at0959 = hour.slide(to: start.adding(seconds: 59 * 60 + 29))
        #expect(!at0959, "09:59 still counts 09:00")
        let at1000 = hour.slide(to: start.adding(seconds: 59 * 60 + 30))
        #expect(at1000, "10:00 does not")
        #expect(hour.totalMinor == 7 && hour.minutes.keys.sorted() == [SpendMinutes.minute(of: start) + 1])
        hour.add(-7, at: start.adding(seconds: 3600))
        #expect(hour.totalMinor == 0, "a credit back counts against the hour")
        #expect(SpendMinutes.firstMinute(at: start) == SpendMinutes.minute(of: start) - 59)
        #expect(SpendMinutes(minutes: [1: 4, 2: 6]).totalMinor == 10)
    }

    @Test("The usual hourly spend is the 95th percentile by nearest rank; nothing judges with no usual spend")
    func usualSpend() throws {
        let today = start.civilDateAndTime.date
        #expect(UsualHourlySpend(hourly: [], computedOn: today).p95Minor == 0)
        let hours = Array(repeating: Int64(0), count: 227) + Array(repeating: 10, count: 12) + [1_000]
        #expect(UsualHourlySpend(hourly: hours, computedOn: today).p95Minor == 10, "the 228th of 240")
        #expect(UsualHourlySpend(hourly: Array(repeating: 0, count: 228) + Array(repeating: 10, count: 12), computedOn: today).p95Minor == 0)
        var alarm = VelocityAlarm.off
        try alarm.set(hourlyAmountMinor: nil, usualMultiple: 5)
        #expect(alarm.isOn && alarm.thresholdMinor == nil, "a multiple of nothing judges nothing")
        alarm.usual = UsualHourlySpend(p95Minor: 10, hours: 240, computedOn: today)
        #expect(alarm.thresholdMinor == 50 && !alarm.isTripped(bySpend: 50) && alarm.isTripped(bySpend: 51), "past, not at")
        try alarm.set(hourlyAmountMinor: 40, usualMultiple: 5)
        #expect(alarm.thresholdMinor == 40, "the lower")
        alarm.usual = UsualHourlySpend(p95Minor: .max / 2, hours: 240, computedOn: today)
        #expect(alarm.usualLimitMinor == .max && alarm.thresholdMinor == 40, "no overflow")
        try alarm.set(hourlyAmountMinor: 40, usualMultiple: nil)
        #expect(alarm.usual == nil && alarm.thresholdMinor == 40)
        #expect(throws: Refusal.self) { try alarm.set(hourlyAmountMinor: 1, usualMultiple: 101) }
        #expect(alarm.hourlyAmountMinor == 40, "a refused setting changes nothing")
    }

    @Test("The hour starts afresh when the alarm is turned on or a suspension is resumed, not otherwise")
    func restartsHour() throws {
        var on = VelocityAlarm.off
        try on.set(hourlyAmountMinor: 100, usualMultiple: nil)
        var suspended = on
        suspended.suspension = VelocitySuspension(since: start, spentMinor: 120, thresholdMinor: 100)
        #expect(VelocityAlarm.restartsHour(before: .off, after: on))
        #expect(VelocityAlarm.restartsHour(before: suspended, after: on))
        #expect(!VelocityAlarm.restartsHour(before: on, after: suspended))
        #expect(!VelocityAlarm.restartsHour(before: on, after: on))
    }
}
