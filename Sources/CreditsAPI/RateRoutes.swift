import CreditsCore
import CreditsEngine
import Hummingbird

/// `/v1/rate-decks/{currency}`: one deck per currency, imported from CSV, looked up by number.
struct RateRoutes {
    let calls: CallService
    let clock: any CreditsClock

    func add(to router: some RouterMethods<APIRequestContext>) {
        let deck = router.group("v1/rate-decks/:currency")
        deck.put { request, context in
            try context.caller().authorizeOperator()
            let rows = try await calls.importRates(request.bodyBytes(context: context), currency: context.currency())
            return RowCount(rows: rows)
        }
        deck.get { _, context in
            let currency = try context.currency()
            guard let deck = try await calls.rateBook().deck(for: currency) else { throw Self.noDeck(currency) }
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: RateDeckFile.csv(deck.rates))))
        }
        deck.get("lookup") { request, context in
            let currency = try context.currency()
            guard let text = request.uri.queryParameters.get("number") else {
                throw Problem.badRequest("Give the number to look up: ?number=%2B4420...")
            }
            let number = try PhoneNumber(text)
            let date = try request.instant("date") ?? clock.now()
            guard try await calls.rateBook().deck(for: currency) != nil else { throw Self.noDeck(currency) }
            guard let rate = try await calls.rate(for: number, currency: currency, on: date.civilDateAndTime.date) else {
                throw Refusal(
                    .unknownDestination,
                    detail: "The \(currency) deck has no rate for \(number) on \(ISO8601.formatDate(date))."
                )
            }
            return RateBody(rate, number: number)
        }
    }

    private static func noDeck(_ currency: Currency) -> Refusal {
        Refusal(
            .unknownRateDeck,
            detail: "No rate deck in \(currency) has been imported.",
            remedy: "PUT the deck as CSV to /v1/rate-decks/\(currency)."
        )
    }
}

struct RowCount: Encodable, ResponseEncodable {
    let rows: Int
}

extension APIRequestContext {
    func currency() throws -> Currency {
        let code = try parameters.require("currency")
        guard let currency = Currency(code: code) else {
            throw Problem(Refusal.invalid(.invalidCurrency, "'\(code.prefix(10))' is not an ISO 4217 currency code."))
        }
        return currency
    }
}
