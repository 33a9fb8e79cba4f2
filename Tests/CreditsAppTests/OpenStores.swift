import CreditsApp
import CreditsStore
import CreditsStorePostgres
import CreditsStoreSQLite
import PostgresTestSupport

extension DatabaseLocation {
    /// The stores, open until the test process ends, for a test to look behind the API.
    func openStores() async throws -> Stores {
        switch self {
        case let .sqlite(path): try SQLiteStores(path: path).stores
        case let .postgres(address): PostgresStores(database: try await .started(address)).stores
        }
    }
}
