import CreditsAPI
import CreditsStore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

extension Router<APIRequestContext> {
    /// What runs around every request (its id in a response header and in every log line, a log
    /// line per request, the request metrics), and the routes that need no credential:
    /// `/health/live` (the process answers), `/health/ready` (the database answers too),
    /// `/metrics` (Prometheus text), `/openapi.yaml` (the API's contract) and `/docs/api` (the
    /// contract as a page to read).
    func addOperationsRoutes(stores: Stores) {
        add(middleware: RequestIdMiddleware())
        add(middleware: LogRequestsMiddleware(.info))
        add(middleware: MetricsMiddleware())
        get("/health/live") { _, _ in HTTPResponse.Status.ok }
        get("/health/ready") { _, _ in
            do {
                try await stores.ledger.ping()
                return HTTPResponse.Status.ok
            } catch {
                throw HTTPError(.serviceUnavailable, message: "The database does not answer.")
            }
        }
        get("/metrics") { _, _ in
            Gauge(label: "commscredits_holds_open").record(try await stores.ledger.openHoldCount())
            Gauge(label: "commscredits_notifications_queued").record(try await stores.notifications.queuedCount())
            let kept = stores.calls.keptTenants
            Gauge(label: "commscredits_calls_kept_tenants").record(kept.tenants)
            Gauge(label: "commscredits_calls_kept_bytes").record(kept.bytes)
            Gauge(label: "commscredits_calls_kept_hits").record(kept.hits)
            Gauge(label: "commscredits_calls_kept_misses").record(kept.misses)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: ServiceMetrics.registry.emitToBuffer()))
            )
        }
        get("/openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes))
            )
        }
        get("/docs/api") { _, _ in
            Response(status: .ok, headers: PageHeaders.html(inlineStyle: true), body: .init(byteBuffer: ByteBuffer(string: APIReference.html)))
        }
    }
}

/// Gives every answer the id its log lines carry, so that a caller's report finds them.
struct RequestIdMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.init("Request-Id")!] = context.id
        return response
    }
}
