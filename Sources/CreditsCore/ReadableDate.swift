/// Dates and times as a person reads them in English, in UTC: `3 Dec 2026`, `3 Dec 2026, 09:30`.
/// One format for the admin center and for the sentences the product writes (files and the
/// API's fields keep ISO 8601).
public enum ReadableDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func day(_ date: CivilDate) -> String { "\(date.day) \(months[date.month - 1]) \(date.year)" }

    public static func day(_ instant: Instant) -> String { day(instant.civilDateAndTime.date) }

    /// `Nov 2026`.
    public static func month(_ month: CalendarMonth) -> String { "\(months[month.month - 1]) \(month.year)" }

    /// To the minute; a table says once, in its heading, that its times are UTC.
    public static func minute(_ instant: Instant) -> String {
        let (date, milliseconds) = instant.civilDateAndTime
        let minutes = milliseconds / 60_000
        return "\(day(date)), \(twoDigits(minutes / 60)):\(twoDigits(minutes % 60))"
    }

    private static func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
