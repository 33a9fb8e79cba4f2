import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Hummingbird
import Synchronization

/// `Idempotency-Key` on any POST, PUT or PATCH: the first successful answer is kept, and the
/// same key with the same request gets it again, marked `Idempotent-Replayed: true`, without
/// anything being done twice; the same key with another request is refused (409
/// `idempotencyConflict`), and while the first is still running, so is a second (409
/// `requestInProgress`).
///
/// Keys belong to the caller and the tenant of the path together, and the caller must see that
/// tenant before any kept answer is looked up: one caller can neither read, nor block, nor learn
/// of another's keys. Refusals (4xx) and failures (5xx) are not kept: the request did nothing,
/// so a retry may run it again. A secret a response shows once (a new token, a webhook's key)
/// is left out of the kept copy. Kept answers are forgotten after `StoredAnswer.keptSeconds`.
struct IdempotencyMiddleware: RouterMiddleware {
    static let header = "Idempotency-Key"
    /// Set by a route on a response that shows a secret once: the JSON field to leave out of
    /// the kept copy. The middleware removes it before the response leaves.
    static let secretFieldHeader = HTTPFields.Element.Name("Kept-Without-Field")!

    let store: any AnswerStore
    let clock: any CreditsClock
    private let running = RunningKeys()

    init(store: any AnswerStore, clock: any CreditsClock) {
        self.store = store
        self.clock = clock
    }

    func handle(
        _ request: Request,
        context: APIRequestContext,
        next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard [.post, .put, .patch].contains(request.method), let key = request.headers[.init(Self.header)!] else {
            var response = try await next(request, context)
            if response.headers[Self.secretFieldHeader] != nil {
                response.headers[Self.secretFieldHeader] = nil
                response.headers[.cacheControl] = "no-store"
            }
            return response
        }
        _ = try IdempotencyKey(key)
        let caller = try context.caller()
        if let tenant = context.parameters.get("tenantId"), !caller.sees(TenantId(tenant)) {
            throw Problem(Refusal.unknownTenant(TenantId(tenant)))
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw Problem(.bodyTooLarge, detail: "The body is larger than \(context.maxUploadSize) bytes.")
        }
        let fingerprint = Self.fingerprint(request, body)
        let scope = Self.scope(of: caller, tenant: context.parameters.get("tenantId"))
        let now = clock.now()
        if let kept = try await store.answer(scope: scope, key: key), now < kept.keptAt.adding(seconds: StoredAnswer.keptSeconds) {
            guard kept.fingerprint == fingerprint else {
                throw Problem(
                    .idempotencyConflict,
                    detail: "This Idempotency-Key was used for another request; use a new key for a new request."
                )
            }
            var headers: HTTPFields = [.init("Idempotent-Replayed")!: "true"]
            headers[.contentType] = kept.contentType
            return Response(status: .init(code: kept.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: kept.body)))
        }
        let runningKey = "\(scope)\u{0}\(key)"
        guard running.begin(runningKey) else {
            throw Problem(.requestInProgress, detail: "A request with this Idempotency-Key is still running; retry in a moment.")
        }
        defer { running.end(runningKey) }

        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try Problem.response(for: error, to: request, context: context)
        }
        let secretField = response.headers[Self.secretFieldHeader]
        response.headers[Self.secretFieldHeader] = nil
        guard (200..<300).contains(response.status.code) else { return response }
        let collected = CollectedBody()
        try await response.body.write(CollectingWriter(collected: collected))
        let bytes = collected.bytes.withLock { $0 }
        let keptBytes = secretField.map { Self.leavingOut($0, from: bytes) } ?? bytes
        try await store.saveAnswer(
            StoredAnswer(
                fingerprint: fingerprint,
                status: Int(response.status.code),
                contentType: response.headers[.contentType],
                body: keptBytes,
                keptAt: now
            ),
            scope: scope,
            key: key
        )
        if secretField != nil { response.headers[.cacheControl] = "no-store" }
        return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Whose keys these are: the caller's own, within the path's tenant.
    static func scope(of caller: Principal, tenant: String?) -> String {
        let who =
            switch caller.credential {
            case let .token(id): "token:\(id)"
            case let .session(upn): "administrator:\(caller.tenantId?.rawValue ?? "")/\(upn)"
            }
        return "\(tenant ?? "*") \(who)"
    }

    /// The JSON object `body` without `field`; the body unchanged when it is not an object.
    static func leavingOut(_ field: String, from body: [UInt8]) -> [UInt8] {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return body }
        object[field] = nil
        return (try? Array(JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))) ?? body
    }

    private static func fingerprint(_ request: Request, _ body: ByteBuffer) -> String {
        Digest.sha256Hex(Array("\(request.method) \(request.uri.path)?\(request.uri.query ?? "")\n".utf8), Array(buffer: body))
    }
}

/// The keys whose first request is still running.
private final class RunningKeys: Sendable {
    private let keys = Mutex<Set<String>>([])

    func begin(_ key: String) -> Bool { keys.withLock { $0.insert(key).inserted } }
    func end(_ key: String) { _ = keys.withLock { $0.remove(key) } }
}

private final class CollectedBody: Sendable {
    let bytes = Mutex<[UInt8]>([])
}

/// Keeps what a response body writes, so that it can be stored and then sent.
private struct CollectingWriter: ResponseBodyWriter {
    let collected: CollectedBody

    mutating func write(_ buffer: ByteBuffer) async throws {
        collected.bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
