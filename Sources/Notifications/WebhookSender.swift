import AsyncHTTPClient
import CreditsCore
import CreditsEngine
import Foundation
import NIOCore

/// POSTs a notification to a webhook as JSON, signed so that the receiver can tell it came from
/// here and was not replayed: `CommsCredits-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" keyed with the webhook's secret>`.
public struct WebhookSender: Sendable {
    public static let signatureHeader = "CommsCredits-Signature"
    public static let eventIdHeader = "CommsCredits-Event-Id"
    let client: HTTPClient
    let timeout: TimeAmount

    public init(client: HTTPClient = .shared, timeout: TimeAmount = .seconds(10)) {
        self.client = client
        self.timeout = timeout
    }

    /// Any 2xx answer counts as delivered; 410 Gone means the receiver is gone for good.
    func post(_ notification: CreditNotification, summary: String, to webhook: Webhook, at timestamp: Instant) async throws {
        let body = WebhookPayload(notification, summary: summary).encoded()
        let seconds = timestamp.millisecondsSinceEpoch / 1000
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "CommsCredits-Webhooks/1")
        request.headers.add(name: Self.eventIdHeader, value: WebhookPayload.eventId(notification))
        request.headers.add(name: Self.signatureHeader, value: "t=\(seconds),v1=\(Self.signature(secret: webhook.secret, timestamp: seconds, body: body))")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
            _ = try await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw DeliveryFailure(description: "The webhook \(webhook.url) could not be reached: \(error)", isPermanent: false)
        }
        guard (200..<300).contains(response.status.code) else {
            throw DeliveryFailure(description: "The webhook \(webhook.url) answered \(response.status.code)", isPermanent: response.status.code == 410)
        }
    }

    public static func signature(secret: String, timestamp: Int64, body: Data) -> String {
        Digest.hmacSHA256Hex(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + Array(body))
    }
}

/// Why one copy was not delivered; a permanent failure is not retried.
public struct DeliveryFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public let isPermanent: Bool

    public init(description: String, isPermanent: Bool) {
        self.description = description
        self.isPermanent = isPermanent
    }
}
