import CreditsCore

/// The balance at the end of each day as a line, and each day's spending as bars below it,
/// drawn as SVG on the server: each with its axis of amounts, dates along the bottom, and a
/// text alternative that says the same in words.
struct BalanceChart {
    let history: BalanceHistory
    let currency: Currency

    var svg: String {
        let days = history.days
        guard let first = days.first, let last = days.last else { return "" }
        let (width, height, left, right, top) = (900.0, 300.0, 92.0, 12.0, 12.0)
        let (lineBottom, barsTop, barsBottom) = (170.0, 200.0, 270.0)
        let highest = Self.roundedUp(max(days.map(\.balanceMinor).max() ?? 0, 1))
        let lowest = min(days.map(\.balanceMinor).min() ?? 0, 0)
        let mostSpent = Self.roundedUp(max(days.map(\.spentMinor).max() ?? 0, 1))
        let step = (width - left - right) / Double(max(days.count - 1, 1))
        func x(_ index: Int) -> Double { left + Double(index) * step }
        func y(_ balance: Int64) -> Double { top + (lineBottom - top) * Double(highest - balance) / Double(highest - lowest) }
        func barY(_ spent: Int64) -> Double { barsBottom - (barsBottom - barsTop) * Double(spent) / Double(mostSpent) }
        func money(_ amountMinor: Int64) -> String { MoneyText.forPeople(amountMinor, currency) }

        var parts: [String] = []
        // Amounts on the left: the balance's top, middle and zero (or its lowest), the spend's top.
        for value in Set([highest, highest / 2, lowest]).sorted() {
            parts.append(Self.gridLine(y: y(value), from: left, to: width - right))
            parts.append(Self.label(money(value), x: left - 6, y: y(value) + 4, anchor: "end"))
        }
        parts.append(Self.gridLine(y: barsBottom, from: left, to: width - right))
        parts.append(Self.label(money(mostSpent), x: left - 6, y: barsTop + 4, anchor: "end"))
        parts.append(Self.label("Spent a day", x: left, y: barsTop - 8, anchor: "start"))
        // Dates along the bottom: the first day, every 30 days, and the last.
        for index in Set(stride(from: 0, to: days.count, by: 30).map { $0 } + [days.count - 1]).sorted() {
            let anchor = index == 0 ? "start" : index == days.count - 1 ? "end" : "middle"
            parts.append(Self.label(ReadableDate.day(days[index].date), x: x(index), y: height - 8, anchor: anchor))
        }
        let points = days.indices.map { "\(Self.rounded(x($0))),\(Self.rounded(y(days[$0].balanceMinor)))" }.joined(separator: " ")
        parts.append(##"<polyline points="\##(points)" fill="none" stroke="#0b5cad" stroke-width="2.5"/>"##)
        for index in days.indices where days[index].spentMinor > 0 {
            let top = barY(days[index].spentMinor)
            parts.append(
                ##"<rect x="\##(Self.rounded(x(index) - step * 0.4))" y="\##(Self.rounded(top))" width="\##(Self.rounded(step * 0.8))" height="\##(Self.rounded(barsBottom - top))" fill="#5a5a5a"><title>\##(ReadableDate.day(days[index].date)): \##(money(days[index].spentMinor)) spent</title></rect>"##
            )
        }
        let spent = days.reduce(0) { $0 + $1.spentMinor }
        let summary =
            "Balance from \(money(first.balanceMinor)) on \(ReadableDate.day(first.date)) to \(money(last.balanceMinor)) on \(ReadableDate.day(last.date)); \(money(spent)) spent over \(days.count) days, at most \(money(days.map(\.spentMinor).max() ?? 0)) in a day."
        return """
            <svg class="chart" role="img" aria-labelledby="chart-title chart-summary" viewBox="0 0 \(Int(width)) \(Int(height))" xmlns="http://www.w3.org/2000/svg">
            <title id="chart-title">Balance at the end of each day (line) and daily spend (bars), last \(days.count) days</title>
            <desc id="chart-summary">\(summary)</desc>
            \(parts.joined(separator: "\n"))
            </svg>
            <p class="hint">\(summary)</p>
            """
    }

    /// A round top for an axis, close above the highest value: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6
    /// or 8 times a power of ten of minor units.
    static func roundedUp(_ amountMinor: Int64) -> Int64 {
        var unit: Int64 = 1
        while true {
            for tenths: Int64 in [10, 12, 15, 20, 25, 30, 40, 50, 60, 80] {
                let (scaled, overflow) = unit.multipliedReportingOverflow(by: tenths)
                if overflow { return amountMinor }
                if scaled / 10 >= amountMinor, scaled % 10 == 0 { return scaled / 10 }
            }
            let (next, overflow) = unit.multipliedReportingOverflow(by: 10)
            if overflow { return amountMinor }
            unit = next
        }
    }

    private static func gridLine(y: Double, from left: Double, to right: Double) -> String {
        ##"<line x1="\##(rounded(left))" y1="\##(rounded(y))" x2="\##(rounded(right))" y2="\##(rounded(y))" stroke="#c8c8c8"/>"##
    }

    private static func label(_ text: String, x: Double, y: Double, anchor: String) -> String {
        ##"<text x="\##(rounded(x))" y="\##(rounded(y))" text-anchor="\##(anchor)" font-size="12" fill="#4a4a4a">\##(text)</text>"##
    }

    private static func rounded(_ value: Double) -> String {
        String(Double(Int((value * 10).rounded())) / 10)
    }
}
