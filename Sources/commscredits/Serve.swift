import ArgumentParser
import Configuration
import CreditsApp
import Hummingbird

/// Options given here win over the environment (HTTP_HOST, HTTP_PORT, DATABASE, DEMO, TEST_CLOCK), which
/// wins over the defaults in `buildApplication`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start the HTTP service.")

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default 8080).")
    var port: Int?

    @Option(help: "Where the data lives: sqlite:PATH (default \(DatabaseLocation.defaultArgument)) or postgres://USER@HOST:PORT/DATABASE.")
    var database: String?

    @Flag(help: "Load the demo organization into an empty database.")
    var demo = false

    @Flag(help: "Read time from a clock that moves only through /v1/test-clock (for tests; never in production).")
    var testClock = false

    func run() async throws {
        var arguments: [AbsoluteConfigKey: ConfigValue] = [:]
        if let host { arguments["http.host"] = .init(.string(host), isSecret: false) }
        if let port { arguments["http.port"] = .init(.int(port), isSecret: false) }
        if let database { arguments["database"] = .init(.string(database), isSecret: false) }
        if demo { arguments["demo"] = .init(.bool(true), isSecret: false) }
        if testClock { arguments["testClock"] = .init(.bool(true), isSecret: false) }
        let reader = ConfigReader(providers: [
            InMemoryProvider(name: "arguments", values: arguments),
            EnvironmentVariablesProvider(),
        ])
        let app = try await buildApplication(reader: reader)
        try await app.runService()
    }
}
