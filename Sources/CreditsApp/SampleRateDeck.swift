public import CreditsCore
import Foundation

/// An illustrative rate deck in US dollars: fixed, mobile and toll-free prefixes of every Zone A
/// country and fourteen others, a UK premium and shared-cost number with a connection fee,
/// per-second billing in Germany and India, and a UK mobile price change taking effect in 2027.
/// The demo and the tests price calls with it; its prices are made up.
public enum SampleRateDeck {
    public static let currency = Currency.usd

    /// The deck as the CSV an operator would `PUT` to `/v1/rate-decks/USD`.
    public static var csv: [UInt8] {
        let url = Bundle.module.url(forResource: "sample-rate-deck-usd", withExtension: "csv")!
        return Array(try! Data(contentsOf: url))
    }

    public static var rates: [Rate] { try! RateDeckFile.rates(csv).get() }
}
