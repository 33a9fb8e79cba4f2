import APIClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenAPIRuntime

/// The client generated from openapi.yaml (`Tests/APIClient`), sending its requests through a
/// test server's client: what it sends and decodes is what the document says, so an answer the
/// document does not describe fails the test that got it.
func typedClient(_ client: any TestClientProtocol) -> Client {
    Client(serverURL: URL(string: "/")!, transport: TestClientTransport(client: client))
}

struct TestClientTransport: ClientTransport {
    let client: any TestClientProtocol

    func send(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String) async throws -> (HTTPResponse, HTTPBody?) {
        var bytes: ByteBuffer?
        if let body { bytes = ByteBuffer(bytes: try await [UInt8](collecting: body, upTo: 64 << 20)) }
        let response = try await client.executeRequest(uri: request.path ?? "/", method: request.method, headers: request.headerFields, body: bytes)
        return (HTTPResponse(status: response.status, headerFields: response.headers), HTTPBody(Array(buffer: response.body)))
    }
}
