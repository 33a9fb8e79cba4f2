import Configuration
import CreditsApp
import CreditsCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// What the API suites share: requests sent as raw JSON and read back loosely (the typed
/// client is `TypedAPITests`'s), and the worlds they start from.
struct TestAPI {
    /// Every scope a tenant's token may hold.
    static let tenantScopes = Scope.allCases.filter { $0 != .operator }

    func withServer(testClock: Bool = false, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await TestServer.run(testClock: testClock) { client, _ in try await body(client) }
    }

    struct Answer: CustomStringConvertible {
        let status: Int
        let body: [String: Any]
        var headers: HTTPFields = [:]
        var code: String? { body["code"] as? String }
        var detail: String? { body["detail"] as? String }
        var description: String { "\(status) \(code ?? "") \(detail ?? "")" }
    }

    static func call(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ path: String,
        _ body: String?,
        _ headers: HTTPFields
    ) async throws -> Answer {
        var headers = headers
        if headers[.contentType] == nil {
            headers[.contentType] = path.hasSuffix("import") || path.contains("rate-decks") ? "text/csv" : "application/json"
        }
        let hasBody = method == .post || method == .put || method == .patch
        return try await client.execute(uri: path, method: method, headers: headers, body: hasBody ? ByteBuffer(string: body ?? "") : nil) {
            response in
            if response.status.code >= 400 {
                #expect(response.headers[.contentType] == "application/problem+json", "\(method) \(path)")
                #expect(response.headers[.init("Request-Id")!] != nil)
            }
            if response.status == .unauthorized { #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true) }
            return Answer(
                status: Int(response.status.code),
                body: (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:],
                headers: response.headers
            )
        }
    }

    @discardableResult
    func send(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ uri: String,
        _ json: String? = nil,
        key: String? = nil,
        expect status: HTTPResponse.Status,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String: Any] {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.init("Idempotency-Key")!] = key }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))", sourceLocation: sourceLocation)
            if response.status.code >= 400 {
                #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
            }
            return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
    }

    func createTenant(
        _ client: any TestClientProtocol,
        id: String,
        _ extra: String = #""channel":"webDirect","commerceModel":"classic""#
    ) async throws {
        try await send(
            client,
            .post,
            "/v1/tenants",
            #"{"id":"\#(id)","name":"Northwind","country":"US","currency":"USD",\#(extra)}"#,
            expect: .created
        )
    }

    func putSampleDeck(_ client: any TestClientProtocol) async throws {
        let rows = try await client.execute(
            uri: "/v1/rate-decks/USD",
            method: .put,
            headers: [.contentType: "text/csv"],
            body: ByteBuffer(bytes: SampleRateDeck.csv)
        ) { response in
            #expect(response.status == .ok)
            return (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["rows"] as? Int
        }
        #expect(rows == SampleRateDeck.rates.count)
    }

    /// Tailspin: a Domestic 120-minute user, a Domestic and International user in the UK, a
    /// Pay-As-You-Go user and an Audio Conferencing organizer, all with Communications Credits.
    func tailspin(_ client: any TestClientProtocol) async throws {
        try await createTenant(client, id: "tailspin")
        try await send(
            client,
            .post,
            "/v1/tenants/tailspin/credits/purchases",
            #"{"amountMinor":5000,"paymentMethod":{"type":"card","token":"tok_visa"}}"#,
            key: "buy",
            expect: .created
        )
        for (name, location, licenses) in [
            ("dom", "US", "MCOEV\",\"MCOPSTN5"), ("intl", "GB", "MCOEV\",\"MCOPSTN2"),
            ("payg", "US", "MCOEV\",\"MCOPSTN_PAYG"), ("conf", "US", "MCOMEETADD"),
        ] {
            try await send(
                client,
                .post,
                "/v1/tenants/tailspin/users",
                #"{"upn":"\#(name)@tailspin.com","displayName":"\#(name)","usageLocation":"\#(location)","roles":[]}"#,
                expect: .created
            )
            try await send(
                client,
                .post,
                "/v1/tenants/tailspin/users/\(name)@tailspin.com/licenses",
                #"{"add":["\#(licenses)","MCOPSTNPP"]}"#,
                expect: .ok
            )
        }
    }

    func advance(_ client: any TestClientProtocol, to instant: String) async throws {
        #expect(try await send(client, .post, "/v1/test-clock/advance", #"{"to":"\#(instant)"}"#, expect: .ok)["now"] as? String == instant)
    }

    /// Starts a call now, ends it after `duration` (asking for more time every 600 s), moves the
    /// clock an hour on from its start; returns the end's answer.
    @discardableResult
    func call(
        _ client: any TestClientProtocol,
        _ session: String,
        _ type: String = "user_out",
        by upn: String?,
        from caller: String = "+14255550100",
        to callee: String,
        seconds duration: Int
    ) async throws -> [String: Any] {
        let now = try await send(client, .get, "/v1/test-clock", expect: .ok)["now"] as! String
        let user = upn.map { #""upn":"\#($0)@tailspin.com","# } ?? ""
        let start = try await send(
            client,
            .post,
            "/v1/tenants/tailspin/calls/\(session)/start",
            #"{"requestNumber":1,"callType":"\#(type)",\#(user)"callerNumber":"\#(caller)","calleeNumber":"\#(callee)","startTime":"\#(now)"}"#,
            expect: .ok
        )
        #expect(start["allowed"] as? Bool == true, "\(session): \(start)")
        let startDate = ISO8601DateFormatter().date(from: now)!
        let at = { (seconds: Int) in ISO8601DateFormatter().string(from: startDate.addingTimeInterval(TimeInterval(seconds))) }
        // As a platform does, it asks for more each time the grant runs out.
        var (number, used) = (2, 0)
        while duration - used > 600 {
            used += 600
            try await advance(client, to: at(used))
            let more = try await send(
                client,
                .post,
                "/v1/tenants/tailspin/calls/\(session)/update",
                #"{"requestNumber":\#(number),"usedSeconds":\#(used)}"#,
                expect: .ok
            )
            #expect(more["allowed"] as? Bool == true, "\(session): \(more)")
            number += 1
        }
        try await advance(client, to: at(duration))
        let end = try await send(
            client,
            .post,
            "/v1/tenants/tailspin/calls/\(session)/end",
            #"{"requestNumber":\#(number),"durationSeconds":\#(duration),"endTime":"\#(at(duration))"}"#,
            expect: .ok
        )
        try await advance(client, to: at(max(3600, duration + 1)))
        return end
    }
}
