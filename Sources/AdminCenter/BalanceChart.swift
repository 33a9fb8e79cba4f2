import CreditsCore

/// The balance at the end of each day as a line, and each day's spending as bars below it,
/// drawn as SVG on the server, with a text alternative that says the same in words.
struct BalanceChart {
    let history: BalanceHistory
    let currency: Currency

    var svg: String {
        let days = history.days
        guard let first = days.first, let last = days.last else { return "" }
        let (width, height, spendHeight, margin) = (900.0, 240.0, 60.0, 8.0)
        let top = max(days.map(\.balanceMinor).max() ?? 0, 1)
        let bottom = min(days.map(\.balanceMinor).min() ?? 0, 0)
        let maximumSpend = max(days.map(\.spentMinor).max() ?? 0, 1)
        let step = (width - 2 * margin) / Double(max(days.count - 1, 1))
        let lineHeight = height - spendHeight - 3 * margin
        func x(_ index: Int) -> Double { margin + Double(index) * step }
        func y(_ balance: Int64) -> Double { margin + lineHeight * Double(top - balance) / Double(top - bottom) }
        let points = days.indices.map { "\(Self.rounded(x($0))),\(Self.rounded(y(days[$0].balanceMinor)))" }.joined(separator: " ")
        let bars = days.indices.filter { days[$0].spentMinor > 0 }.map { index in
            let barHeight = spendHeight * Double(days[index].spentMinor) / Double(maximumSpend)
            return ##"<rect x="\##(Self.rounded(x(index) - step * 0.4))" y="\##(Self.rounded(height - margin - barHeight))" width="\##(Self.rounded(step * 0.8))" height="\##(Self.rounded(barHeight))" fill="#6b6b6b"/>"##
        }.joined()
        let spent = days.reduce(0) { $0 + $1.spentMinor }
        let summary = "Balance from \(MoneyText.withCode(first.balanceMinor, currency)) on \(ISO8601.formatDate(first.date)) to \(MoneyText.withCode(last.balanceMinor, currency)) on \(ISO8601.formatDate(last.date)); \(MoneyText.withCode(spent, currency)) spent over \(days.count) days, at most \(MoneyText.withCode(days.map(\.spentMinor).max() ?? 0, currency)) in a day."
        return """
            <svg class="chart" role="img" aria-labelledby="chart-title chart-summary" viewBox="0 0 \(Int(width)) \(Int(height))" xmlns="http://www.w3.org/2000/svg">
            <title id="chart-title">Balance at the end of each day (line) and daily spend (bars), last \(days.count) days</title>
            <desc id="chart-summary">\(summary)</desc>
            <line x1="\(margin)" y1="\(Self.rounded(y(0)))" x2="\(width - margin)" y2="\(Self.rounded(y(0)))" stroke="#c8c8c8"/>
            <polyline points="\(points)" fill="none" stroke="#0b5cad" stroke-width="2.5"/>
            \(bars)
            </svg>
            <p class="hint">\(summary)</p>
            """
    }

    private static func rounded(_ value: Double) -> String {
        String(Double(Int((value * 10).rounded())) / 10)
    }
}
