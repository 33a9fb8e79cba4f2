/// A moment in UTC, in whole milliseconds since 1970-01-01T00:00:00Z.
///
/// The core never reads a clock: every instant is passed in. Calendar arithmetic is done on
/// the proleptic Gregorian calendar in UTC, without Foundation, so that it is exact and fast.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    public static let millisecondsPerSecond: Int64 = 1000
    public static let millisecondsPerDay: Int64 = 86_400_000

    public func adding(seconds: Int64) -> Instant {
        let milliseconds: Int64 = seconds * Self.millisecondsPerSecond
        return Instant(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    public func adding(days: Int64) -> Instant {
        let milliseconds: Int64 = days * Self.millisecondsPerDay
        return Instant(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    /// The same wall-clock instant `months` calendar months later in UTC; where that day does
    /// not exist in the target month (29 February, 31 April), the last day of that month.
    public func adding(months: Int) -> Instant {
        let (date, millisecondOfDay) = civilDateAndTime
        let monthIndex: Int64 = date.year * 12 + Int64(date.month - 1) + Int64(months)
        let year = floorDivide(monthIndex, 12)
        let month = Int(monthIndex - year * 12) + 1
        let day = min(date.day, CivilDate.daysIn(month: month, year: year))
        return CivilDate(year: year, month: month, day: day).instant(plusMilliseconds: millisecondOfDay)
    }

    /// The calendar date in UTC and the milliseconds since that day's midnight.
    public var civilDateAndTime: (date: CivilDate, millisecondOfDay: Int64) {
        let days = floorDivide(millisecondsSinceEpoch, Self.millisecondsPerDay)
        return (CivilDate(daysSinceEpoch: days), millisecondsSinceEpoch - days * Self.millisecondsPerDay)
    }

    /// Midnight UTC on the first day of this instant's month.
    public var startOfMonth: Instant {
        let date = civilDateAndTime.date
        return CivilDate(year: date.year, month: date.month, day: 1).instant()
    }

    public var description: String { ISO8601.format(self) }
}

/// A day of the proleptic Gregorian calendar.
public struct CivilDate: Hashable, Comparable, Sendable {
    public let year: Int64
    public let month: Int
    public let day: Int

    public init(year: Int64, month: Int, day: Int) {
        precondition(
            (1...12).contains(month) && (1...CivilDate.daysIn(month: month, year: year)).contains(day),
            "not a calendar date"
        )
        self.year = year
        self.month = month
        self.day = day
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    public static func daysIn(month: Int, year: Int64) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Days from civil and back: Howard Hinnant's algorithms, exact for every year.
    init(daysSinceEpoch: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    public var daysSinceEpoch: Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public func instant(plusMilliseconds milliseconds: Int64 = 0) -> Instant {
        Instant(millisecondsSinceEpoch: daysSinceEpoch * Instant.millisecondsPerDay + milliseconds)
    }
}

func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
}
