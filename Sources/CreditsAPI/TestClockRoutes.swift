import CreditsCore
import CreditsEngine
import Hummingbird

/// `/v1/test-clock` (`API.md`): only on a server started with a test clock. Moving it forward
/// runs everything that came due before answering.
struct TestClockRoutes {
    let clock: ManualClock
    let dueWork: DueWork

    struct AdvanceInput: Decodable {
        let to: String
    }

    struct ClockBody: Encodable, ResponseEncodable {
        let now: String
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        let group = router.group("v1/test-clock")
        group.get { _, _ in ClockBody(now: ISO8601.format(clock.now())) }
        group.post("advance") { request, context in
            try context.caller().authorizeOperator()
            let to = try Instant.parse(try await request.decodeJSON(AdvanceInput.self, context: context).to, field: .invalidTo)
            guard to >= clock.now() else {
                throw Refusal(
                    .clockCannotGoBack,
                    detail: "The test clock is at \(ISO8601.format(clock.now())); it only moves forward."
                )
            }
            try await dueWork.advance(clock, to: to)
            return ClockBody(now: ISO8601.format(clock.now()))
        }
    }
}
