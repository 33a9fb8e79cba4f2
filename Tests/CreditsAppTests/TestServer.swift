import Configuration
import CreditsApp
import CreditsCore
import CreditsEngine
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore

/// The real server on a free port over a fresh SQLite file, and a client that speaks as an
/// operator unless a request brings its own `Authorization`.
enum TestServer {
    struct Database {
        let argument: String
        /// Makes a token straight in the database, as `commscredits tokens create` does.
        func token(_ scopes: Set<Scope>, tenant: String? = nil) async throws -> String {
            try await access().createToken(name: "test", tenantId: tenant.map(TenantId.init), scopes: scopes).secret
        }

        func access() async throws -> AccessService {
            AccessService(stores: try await DatabaseLocation(argument).openStores(), clock: SystemClock())
        }
    }

    /// The configuration of a server over `database`, as tests that build one themselves give it.
    static func reader(database: String, demo: Bool = false) -> ConfigReader {
        ConfigReader(
            provider: InMemoryProvider(values: [
                "database": .init(.string(database), isSecret: false),
                "demo": .init(.bool(demo), isSecret: false),
                "auth.passwordCost": .init(.int(4), isSecret: false),
            ])
        )
    }

    /// A new SQLite file in the temporary directory.
    static func temporaryDatabase() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return "sqlite:" + directory.appendingPathComponent("commscredits.sqlite").path
    }

    /// `settings` are further configuration keys, as `buildApplication` reads them.
    static func run(
        testClock: Bool = false,
        limits: (perSecond: Double, burst: Double)? = nil,
        settings: [AbsoluteConfigKey: ConfigValue] = [:],
        _ body: @escaping @Sendable (any TestClientProtocol, Database) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = Database(argument: "sqlite:" + directory.appendingPathComponent("api.sqlite").path)
        var values: [AbsoluteConfigKey: ConfigValue] = [
            "database": .init(.string(database.argument), isSecret: false),
            "testClock": .init(.bool(testClock), isSecret: false),
            "auth.passwordCost": .init(.int(4), isSecret: false),
            // The suites send many refused requests from one address; the limit has its own test.
            "limits.anonymousBurst": .init(.double(100_000), isSecret: false),
        ]
        values.merge(settings) { _, setting in setting }
        if let limits {
            values["limits.requestsPerSecond"] = .init(.double(limits.perSecond), isSecret: false)
            values["limits.burst"] = .init(.double(limits.burst), isSecret: false)
        }
        let operatorToken = try await database.token([.operator])
        try await buildApplication(reader: ConfigReader(provider: InMemoryProvider(values: values))).test(.live) { client in
            try await body(AuthorizedClient(client: client, token: operatorToken), database)
        }
    }
}

/// Adds `Authorization: Bearer <token>` to every request that has none.
struct AuthorizedClient: TestClientProtocol {
    let client: any TestClientProtocol
    let token: String

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        return try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { client.port }
}
