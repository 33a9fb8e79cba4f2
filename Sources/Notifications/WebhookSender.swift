import AsyncHTTPClient
public import CreditsCore
import CreditsEngine
public import Foundation
public import NIOCore
import NIOHTTP1

/// POSTs a notification to a webhook as JSON, signed so that the receiver can tell it came from
/// here and was not replayed: `CommsCredits-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" keyed with the webhook's secret>`.
///
/// The URL is checked again (`WebhookAddress`) and its name resolved just before each post: no
/// address it resolves to may be private, loopback or link-local. Redirects are not followed.
/// Every failure reads the same to the tenant, whatever the far end did, so that the outcome
/// cannot be used to map what listens where; the log has the detail.
public struct WebhookSender: Sendable {
    public static let signatureHeader = "CommsCredits-Signature"
    public static let eventIdHeader = "CommsCredits-Event-Id"
    public static let failureText = "The webhook did not accept the notification (no 2xx answer)."
    let client: HTTPClient
    let timeout: TimeAmount
    let policy: WebhookAddress.Policy

    public init(policy: WebhookAddress.Policy = WebhookAddress.Policy(), timeout: TimeAmount = .seconds(10)) {
        client = Self.client
        self.timeout = timeout
        self.policy = policy
    }

    /// One client for the process, like `HTTPClient.shared`, but that follows no redirect.
    private static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow)
    )

    /// Any 2xx answer counts as delivered; 410 Gone means the receiver is gone for good.
    package func post(_ notification: CreditNotification, summary: String, to webhook: Webhook, at timestamp: Instant) async throws {
        let address: WebhookAddress
        do {
            address = try WebhookAddress.parse(webhook.url, policy: policy)
        } catch {
            throw DeliveryFailure(description: Self.failureText, isPermanent: true, detail: "the URL is no longer allowed: \(error.detail)")
        }
        if !policy.allowsPrivateAddresses, address.literal == nil {
            let resolved = try await HostResolver.addresses(of: address.host)
            guard !resolved.isEmpty, resolved.allSatisfy(IPAddress.isPublic) else {
                throw DeliveryFailure(
                    description: Self.failureText,
                    isPermanent: false,
                    detail: "\(address.host) resolves to no public address (\(resolved.count) found)"
                )
            }
        }
        let body = WebhookPayload(notification, summary: summary).encoded()
        let seconds = timestamp.millisecondsSinceEpoch / 1000
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "CommsCredits-Webhooks/1")
        request.headers.add(name: Self.eventIdHeader, value: WebhookPayload.eventId(notification))
        request.headers.add(
            name: Self.signatureHeader,
            value: "t=\(seconds),v1=\(Self.signature(secret: webhook.secret, timestamp: seconds, body: body))"
        )
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
            _ = try await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw DeliveryFailure(description: Self.failureText, isPermanent: false, detail: "\(webhook.url) could not be reached: \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            throw DeliveryFailure(
                description: Self.failureText,
                isPermanent: response.status.code == 410,
                detail: "\(webhook.url) answered \(response.status.code)"
            )
        }
    }

    public static func signature(secret: String, timestamp: Int64, body: Data) -> String {
        Digest.hmacSHA256Hex(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + Array(body))
    }
}

/// Why one copy was not delivered; a permanent failure is not retried. `description` is what
/// the tenant reads; `detail`, for the operator's log, may say more.
public struct DeliveryFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public let isPermanent: Bool
    public let detail: String?

    public init(description: String, isPermanent: Bool, detail: String? = nil) {
        self.description = description
        self.isPermanent = isPermanent
        self.detail = detail
    }
}
