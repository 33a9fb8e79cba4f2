public import CreditsCore
import Foundation
public import Hummingbird
import NIOFoundationCompat

/// An error answer as RFC 9457 `application/problem+json`: a stable `code`, a `detail` a
/// person can act on, the `remedy` where one exists, and for uploads every bad `lines` entry.
public struct Problem: HTTPResponseError {
    public let status: HTTPResponse.Status
    let code: ProblemCode
    let detail: String
    let remedy: String?
    let lines: [LineError]
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, code: ProblemCode, detail: String, remedy: String? = nil, lines: [LineError] = []) {
        self.status = status
        self.code = code
        self.detail = detail
        self.remedy = remedy
        self.lines = lines
    }

    /// A problem with the status of its code.
    init(_ code: ProblemCode, detail: String, remedy: String? = nil) {
        self.init(code.httpStatus, code: code, detail: detail, remedy: remedy ?? code.remedy)
    }

    /// The answer for any error a handler throws: the product's refusals keep their codes;
    /// anything else is a 500 that reveals nothing of the inside.
    init(_ error: any Error) {
        switch error {
        case let problem as Problem: self = problem
        case let error as Refusal: self.init(error)
        case let error as LedgerError: self.init(error)
        case let refused as RefusedLines:
            self.init(
                .unprocessableContent,
                code: .invalidLines,
                detail: "Nothing was changed: \(refused.lines.count) line\(refused.lines.count == 1 ? " is" : "s are") wrong.",
                lines: Array(refused.lines.prefix(RefusedLines.maximumListed))
            )
        case let error as any HTTPResponseError:
            // The framework's own errors name its internals; say only what the status means.
            let said = (error as? HTTPError)?.body
            if error.status == .contentTooLarge {
                self.init(error.status, code: .bodyTooLarge, detail: said ?? "The body is larger than this request may carry.")
            } else {
                self.init(error.status, code: .httpError, detail: said ?? "The request could not be served: \(error.status.reasonPhrase).")
            }
        default:
            self.init(.internalServerError, code: .internalError, detail: "Something went wrong on our side; nothing was changed.")
        }
    }

    init(_ error: Refusal) {
        self.init(error.httpStatus, code: error.code, detail: error.detail, remedy: error.remedy ?? error.code.remedy)
        if error.kind == .unauthenticated { headers[.wwwAuthenticate] = "Bearer realm=\"commscredits\"" }
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
    }

    init(_ error: LedgerError) {
        self.init(error.code.httpStatus, code: error.code, detail: error.description, remedy: error.code.remedy)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ProblemBody(
            title: status.reasonPhrase,
            status: status.code,
            code: code.rawValue,
            detail: detail,
            remedy: remedy,
            lines: lines.isEmpty ? nil : lines.map { ProblemBody.Line(line: $0.line, code: $0.error.code.rawValue, detail: $0.error.description) }
        )
        var headers = headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: try JSONEncoder().encode(body))))
    }

    static func badRequest(_ detail: String) -> Problem {
        Problem(.badRequest, code: .invalidRequest, detail: detail)
    }
}

/// Turns every error a route throws into a `Problem` answer, so that every error answer has one
/// shape, and so that the middleware around it (metrics, request ids) sees an answer, not an error.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Problem.response(for: error, to: request, context: context)
        }
    }
}

extension Problem {
    /// The answer to a request that threw `error`; a path no route matches is `notFound`.
    static func response(for error: any Error, to request: Request, context: some RequestContext) throws -> Response {
        if let error = error as? any HTTPResponseError, error.status == .notFound, !(error is Problem) {
            return try Problem(.notFound, code: .notFound, detail: "There is nothing at \(request.uri.path).").response(
                from: request,
                context: context
            )
        }
        return try Problem(error).response(from: request, context: context)
    }
}

private struct ProblemBody: Encodable {
    let type = "about:blank"
    let title: String
    let status: Int
    let code: String
    let detail: String
    let remedy: String?
    let lines: [Line]?
    struct Line: Encodable {
        let line: Int
        let code: String
        let detail: String
    }
}

extension Refusal {
    /// The HTTP status of the refusal, for the API and the admin center's pages alike.
    public var httpStatus: HTTPResponse.Status { code.httpStatus }
}

extension ProblemCode {
    /// The HTTP status of each kind of refusal; the framework's own refusals (`httpError`) keep theirs.
    public var httpStatus: HTTPResponse.Status {
        switch kind {
        case .invalid: .unprocessableContent
        case .unauthenticated: .unauthorized
        case .notFound: .notFound
        case .conflict: .conflict
        case .notAllowed: .forbidden
        case .paymentFailed: HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
        case .unavailable: .gatewayTimeout
        case .throttled: .tooManyRequests
        case .overloaded: .serviceUnavailable
        case .badRequest, .http: .badRequest
        case .tooLarge: .contentTooLarge
        case .internal: .internalServerError
        }
    }
}
