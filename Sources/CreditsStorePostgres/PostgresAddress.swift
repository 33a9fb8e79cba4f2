/// Where a PostgreSQL database is: `postgres://USER@HOST:PORT/DATABASE`. The password never
/// travels in the address (it would show in process lists and logs): it comes separately.
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    public let user: String
    public let host: String
    public let port: Int
    public var database: String
    public let password: String?
    /// Connections each instance may open.
    public var maximumConnections = 20

    /// Nil when `url` is not a `postgres://` (or `postgresql://`) address with a user, a host
    /// and a database, or when it holds a password.
    public init?(url: String, password: String?) {
        guard let scheme = ["postgres://", "postgresql://"].first(where: url.hasPrefix) else { return nil }
        let rest = url.dropFirst(scheme.count)
        guard let at = rest.firstIndex(of: "@"), let slash = rest[at...].firstIndex(of: "/") else { return nil }
        let user = rest[..<at]
        let hostAndPort = rest[rest.index(after: at)..<slash]
        let database = rest[rest.index(after: slash)...]
        guard !user.isEmpty, !user.contains(":"), !database.isEmpty, !database.contains("/"), !database.contains("?") else { return nil }
        var host = hostAndPort
        var port = 5432
        if let colon = hostAndPort.lastIndex(of: ":") {
            guard let number = Int(hostAndPort[hostAndPort.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            host = hostAndPort[..<colon]
            port = number
        }
        guard !host.isEmpty else { return nil }
        self.user = String(user)
        self.host = String(host)
        self.port = port
        self.database = String(database)
        self.password = password
    }

    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}
