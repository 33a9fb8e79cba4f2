import CreditsCore
import Foundation
import Hummingbird

extension Request {
    /// The JSON body as `Body`, or a 400 that names the field that is missing or wrong.
    func decodeJSON<Body: Decodable>(_ type: Body.Type, context: APIRequestContext, limit: Int? = nil) async throws -> Body {
        try JSONBody.decode(type, from: try await bodyBytes(context: context, limit: limit))
    }

    /// The body as bytes (a CSV upload), at most `limit` (the context's largest upload).
    func bodyBytes(context: APIRequestContext, limit: Int? = nil) async throws -> [UInt8] {
        let limit = limit ?? context.maxUploadSize
        do {
            return Array(buffer: try await body.collect(upTo: limit))
        } catch {
            throw Problem(.bodyTooLarge, detail: "The body is larger than \(limit) bytes.")
        }
    }

    /// The `Idempotency-Key` header, which every request that changes money must carry.
    func idempotencyKey() throws -> IdempotencyKey {
        guard let text = headers[.init(IdempotencyMiddleware.header)!] else {
            throw Problem(
                .idempotencyKeyMissing,
                detail: "This request changes money: send an Idempotency-Key header, a new one for each new request and the same one on a retry."
            )
        }
        do {
            return try IdempotencyKey(text)
        } catch {
            throw Problem(error)
        }
    }

    /// The page size asked for, within 1...`maximum`.
    func limit(default value: Int = 100, maximum: Int = 1000) throws -> Int {
        guard let text = uri.queryParameters.get("limit") else { return value }
        guard let limit = Int(text), (1...maximum).contains(limit) else {
            throw Problem.badRequest("limit must be a whole number from 1 to \(maximum).")
        }
        return limit
    }

    /// The `before` cursor of a page that lists newest first: the id of the last item seen.
    func beforeCursor() throws -> Int64? {
        try uri.queryParameters.get("before").map { text in
            guard let id = Int64(text) else { throw Problem.badRequest("before must be the id of the last item of the previous page.") }
            return id
        }
    }
}

extension APIRequestContext {
    func userName() throws -> UserPrincipalName {
        do {
            return try UserPrincipalName(parameters.require("upn"))
        } catch let error as Refusal {
            throw Problem(error)
        }
    }
}

/// JSON bodies read into their input types; what is wrong is said as a 400 naming the field.
enum JSONBody {
    // Untyped `throws`: with `throws(Problem)`, Swift 6.3.1's release optimizer crashes while
    // splitting the async route handlers that call this.
    static func decode<Body: Decodable>(_ type: Body.Type, from bytes: [UInt8]) throws -> Body {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, path) {
            throw Problem.badRequest("The field '\(Self.path(path.codingPath + [key]))' is missing.")
        } catch let DecodingError.typeMismatch(_, path), let DecodingError.valueNotFound(_, path) {
            throw Problem.badRequest("The field '\(Self.path(path.codingPath))' has the wrong type. \(path.debugDescription)")
        } catch let DecodingError.dataCorrupted(path) {
            throw Problem.badRequest("The body is not valid JSON of the expected shape at '\(Self.path(path.codingPath))'. \(path.debugDescription)")
        } catch {
            throw Problem.badRequest("The body is not valid JSON.")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
}
