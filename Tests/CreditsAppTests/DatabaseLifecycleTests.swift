import CreditsApp
import CreditsEngine
import CreditsStore
import CreditsStorePostgres
import PostgresTestSupport
import Testing

/// A command, a benchmark or the server's preparation opens the data for the time of a body;
/// its PostgreSQL connections close when the body ends, however it ends.
@Suite(.enabled(if: TestPostgres.server != nil, "needs COMMSCREDITS_TEST_POSTGRES"))
struct DatabaseLifecycleTests {
    @Test("withServices and withStores close their PostgreSQL connections when the body returns or throws")
    func connectionsCloseWithTheBody() async throws {
        let address = try await TestPostgres.freshAddress()
        let location = DatabaseLocation.postgres(address)
        try await location.withServices { services in
            _ = try await services.directory.tenants()
            #expect(try await TestPostgres.connections(to: address.database) >= 1, "the body has the database open")
        }
        #expect(try await closedSoon(address.database), "connections left open after the body returned")
        await #expect(throws: Stop.self) {
            try await location.withStores { stores in
                _ = try await stores.directory.tenants()
                throw Stop()
            }
        }
        #expect(try await closedSoon(address.database), "connections left open after the body threw")
    }

    /// Whether the server sees no connection to `database` within two seconds (a backend goes
    /// a moment after its client closes).
    func closedSoon(_ database: String) async throws -> Bool {
        for _ in 0..<40 {
            if try await TestPostgres.connections(to: database) == 0 { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    struct Stop: Error {}
}
