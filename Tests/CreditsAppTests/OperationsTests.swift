import CreditsApp
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// What an operator watches: `/metrics`, request ids, health.
@Suite("Operations")
struct OperationsTests {
    let api = TestAPI()

    @Test("/metrics shows requests with their latencies, charges, and the holds open; every answer carries its request id")
    func metrics() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            try await api.advance(client, to: "2027-01-04T09:00:00Z")
            try await api.call(client, "metered-1", by: "payg", to: "+14255550199", seconds: 90)
            let now = try await api.send(client, .get, "/v1/test-clock", expect: .ok)["now"] as! String
            try await api.send(
                client,
                .post,
                "/v1/tenants/tailspin/calls/metered-open/start",
                #"{"requestNumber":1,"callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+14255550198","startTime":"\#(now)"}"#,
                expect: .ok
            )

            let anonymous = (client as! AuthorizedClient).client
            let text = try await anonymous.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                return String(buffer: response.body)
            }
            #expect(text.contains(#"commscredits_charges_total{source="realTime"}"#))
            #expect(text.contains(#"commscredits_charged_minor_total{currency="USD"}"#))
            #expect(text.contains("commscredits_holds_open 1"), "the call still open holds funds")
            #expect(text.contains(#"http_server_request_duration_bucket{http_route="/v1/tenants/{tenantId}/calls/{sessionId}/end""#))
            #expect(
                text.contains(
                    #"hb_requests{http_route="/v1/tenants/{tenantId}/calls/{sessionId}/start",http_request_method="POST",http_response_status_code="200"}"#
                )
            )

            let ids = try await [
                anonymous.execute(uri: "/health/ready", method: .get) { $0.headers[.init("Request-Id")!] },
                anonymous.execute(uri: "/v1/tenants", method: .get) { $0.headers[.init("Request-Id")!] },
            ]
            #expect(ids.allSatisfy { ($0?.count ?? 0) >= 16 } && ids[0] != ids[1], "\(ids)")
        }
    }
}
