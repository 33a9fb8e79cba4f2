import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import CreditsStorePostgres
import Foundation
import PostgresTestSupport
import Testing

/// `commscredits copy`: the demo installation, moved from its SQLite file into PostgreSQL.
@Suite(.enabled(if: TestPostgres.server != nil, "needs COMMSCREDITS_TEST_POSTGRES"))
struct InstallationCopyTests {
    @Test func theDemoMovesWholeAndVerifiedAndTheCopyCarriesOn() async throws {
        let sqlite = try TestServer.temporaryDatabase()
        _ = try await buildApplication(reader: TestServer.reader(database: sqlite, demo: true))
        let address = try await TestPostgres.freshAddress()
        let now = SystemClock().now()

        let report = try await InstallationCopy.copy(from: DatabaseLocation(sqlite), to: .postgres(address), at: now)
        #expect(report.isFaithful, "\(report)")
        #expect(report.rowsPerTable["journal_transaction"] == report.source.transactionsChecked)
        #expect((report.rowsPerTable["usage_record"] ?? 0) > 200 && report.rowsPerTable["tenant_user"] == 5)

        let copied = try await DatabaseLocation.postgres(address).openStores()
        let tenant = DemoOrganization.tenantId
        let before = try await DatabaseLocation(sqlite).openStores().ledger.statement(for: tenant, at: now)
        let after = try await copied.ledger.statement(for: tenant, at: now)
        #expect(after.lots == before.lots && after.openHolds == before.openHolds && after.figures == before.figures)
        // The sequences moved past the copied ids: the copy takes new money under new numbers.
        let highest = try await copied.ledger.transactions(for: tenant, before: nil, limit: 1)[0].receipt.transactionId
        let receipt = try await copied.ledger.execute(
            LedgerRequest(key: IdempotencyKey("after-copy"), command: .addFunds(source: .purchase, amountMinor: 500)),
            for: tenant,
            at: now
        )
        #expect(receipt.transactionId > highest)
        #expect(try await copied.ledger.statement(for: tenant, at: now).figures.balanceMinor == before.figures.balanceMinor + 500)

        // A second copy into a database that holds data is refused and changes nothing.
        await #expect(throws: ImportRefused.self) {
            try await InstallationCopy.copy(from: DatabaseLocation(sqlite), to: .postgres(address), at: now)
        }
        #expect(try await copied.ledger.verify().transactionsChecked == report.source.transactionsChecked + 1)
    }
}
