import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Synchronization

/// `Idempotency-Key` on any POST, PUT or PATCH: the first answer (success or refusal) is kept,
/// and the same key with the same request gets it again, marked `Idempotent-Replayed: true`,
/// without anything being done twice; the same key with another request is refused (409
/// `idempotencyConflict`), and while the first is still running, so is a second
/// (409 `requestInProgress`). Keys belong to the tenant of the path (or the caller's). Answers of 5xx and 429 are not
/// kept: those are worth retrying.
struct IdempotencyMiddleware: RouterMiddleware {
    static let header = "Idempotency-Key"
    let store: any AnswerStore
    let clock: any CreditsClock
    private let running = RunningKeys()

    init(store: any AnswerStore, clock: any CreditsClock) {
        self.store = store
        self.clock = clock
    }

    func handle(_ request: Request, context: APIRequestContext,
                next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch].contains(request.method), let key = request.headers[.init(Self.header)!] else {
            return try await next(request, context)
        }
        _ = try IdempotencyKey(key)
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let fingerprint = Self.fingerprint(request, body)
        let scope = context.parameters.get("tenantId") ?? context.principal?.tenantId?.rawValue ?? "*"
        if let kept = try await store.answer(scope: scope, key: key) {
            guard kept.fingerprint == fingerprint else {
                throw Problem(.conflict, code: "idempotencyConflict",
                              detail: "This Idempotency-Key was used for another request; use a new key for a new request.")
            }
            var headers: HTTPFields = [.init("Idempotent-Replayed")!: "true"]
            headers[.contentType] = kept.contentType
            return Response(status: .init(code: kept.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: kept.body)))
        }
        let runningKey = "\(scope)\u{0}\(key)"
        guard running.begin(runningKey) else {
            throw Problem(.conflict, code: "requestInProgress", detail: "A request with this Idempotency-Key is still running; retry in a moment.")
        }
        defer { running.end(runningKey) }

        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try Problem.response(for: error, to: request, context: context)
        }
        guard response.status.code < 500, response.status != .tooManyRequests else { return response }
        let collected = CollectedBody()
        try await response.body.write(CollectingWriter(collected: collected))
        let bytes = collected.bytes.withLock { $0 }
        try await store.saveAnswer(StoredAnswer(fingerprint: fingerprint, status: Int(response.status.code),
                                                contentType: response.headers[.contentType], body: bytes),
                                   scope: scope, key: key, at: clock.now())
        return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
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
