import Configuration
import CreditsApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The contract and the server agree: the document names exactly the API routes the router holds,
/// and the server serves the document itself. (`.ci/run` then has schemathesis check every
/// answer against it.)
@Suite("The OpenAPI document")
struct OpenAPIDocumentTests {
    @Test("Every route of the server is in the document, and every operation of the document is a route", arguments: [false, true])
    func routesAndDocumentAgree(testClock: Bool) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = try await buildServer(
            reader: ConfigReader(
                provider: InMemoryProvider(values: [
                    "database": .init(.string("sqlite:" + directory.appendingPathComponent("api.sqlite").path), isSecret: false),
                    "testClock": .init(.bool(testClock), isSecret: false),
                ])
            )
        )
        try server.router.validate()
        // The admin center's pages are for browsers, not part of the API's contract.
        let routes = Set(server.router.routes.filter { !$0.path.description.hasPrefix("/admin") }.map { "\($0.method) \($0.path)" })
        var documented = try OpenAPIOperations.inDocument()
        if !testClock { documented.subtract(["GET /v1/test-clock", "POST /v1/test-clock/advance"]) }
        #expect(routes.count > 30)
        #expect(
            routes == documented,
            "not documented: \(routes.subtracting(documented).sorted()); no such route: \(documented.subtracting(routes).sorted())"
        )
    }

    @Test("GET /openapi.yaml serves the document without a credential")
    func servesTheDocument() async throws {
        try await TestServer.run { client, _ in
            let anonymous = (client as! AuthorizedClient).client
            try await anonymous.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.hasPrefix("openapi: 3.1.0"))
                #expect(text.contains("/v1/tenants/{tenantId}/calls/{sessionId}/start:"))
            }
        }
    }
}
