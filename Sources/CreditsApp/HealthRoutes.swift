import CreditsStore
import Hummingbird

extension Router {
    /// `/health/live`: the process answers. `/health/ready`: the database answers too.
    func addHealthRoutes(store: any LedgerStore) {
        get("/health/live") { _, _ in HTTPResponse.Status.ok }
        get("/health/ready") { _, _ in
            do {
                try await store.ping()
                return HTTPResponse.Status.ok
            } catch {
                throw HTTPError(.serviceUnavailable, message: "The database does not answer.")
            }
        }
    }
}
