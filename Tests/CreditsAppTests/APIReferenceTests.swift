import CreditsAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import Yams

/// `/docs/api`: the contract drawn as a page, from the document the service serves.
@Suite struct APIReferenceTests {
    @Test("The API reference names every operation and schema of openapi.yaml, escapes what it draws, and is served as a page")
    func everyOperationAndSchemaIsDrawn() async throws {
        let yaml = String(decoding: OpenAPIDocument.bytes, as: UTF8.self)
        let document = try #require(try Yams.compose(yaml: yaml))
        let operationIds = (document["paths"]?.mapping ?? [:]).flatMap { _, item in
            ["get", "put", "post", "patch", "delete"].compactMap { item[$0]?["operationId"]?.string }
        }
        let schemas = (document["components"]?["schemas"]?.mapping ?? [:]).compactMap { $0.key.string }
        #expect(operationIds.count > 70 && schemas.count > 60)
        let page = APIReference.html
        for id in operationIds { #expect(page.contains("id=\"op-\(id)\"") && page.contains("href=\"#op-\(id)\""), "\(id)") }
        for name in schemas { #expect(page.contains("id=\"schema-\(name)\""), "\(name)") }
        // A schema named by a $ref is a link to its own section.
        #expect(page.contains("<a href=\"#schema-Problem\">Problem</a>"))
        #expect(page.contains("Page size, 1 to 1000 (default 100)."))
        // Text from the document is escaped: `Bearer <token>` in its description is not markup.
        #expect(page.contains("Bearer &lt;token&gt;") && !page.contains("<token>"))

        try await TestServer.run { client, _ in
            try await client.execute(uri: "/docs/api", method: .get, headers: [:]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true, "the page may run nothing")
                #expect(String(buffer: response.body) == page)
            }
        }
    }
}
