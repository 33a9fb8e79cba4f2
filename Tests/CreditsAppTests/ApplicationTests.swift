import Configuration
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import CreditsStorePostgres
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct ApplicationTests {
    @Test func healthRoutesAnswer() async throws {
        let app = try await buildApplication(reader: TestServer.reader(database: try TestServer.temporaryDatabase()))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/nothing", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func healthRoutesAnswerOverARealSocket() async throws {
        let app = try await buildApplication(reader: TestServer.reader(database: try TestServer.temporaryDatabase()))
        try await app.test(.live) { client in
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func theDemoOrganizationIsALivingAccountLoadedOnlyIntoAnEmptyDatabase() async throws {
        let database = try TestServer.temporaryDatabase()
        _ = try await buildApplication(reader: TestServer.reader(database: database, demo: true))
        let stores = try await DatabaseLocation(database).openStores()
        let store = stores.ledger
        let now = SystemClock().now()
        let statement = try await store.statement(for: DemoOrganization.tenantId, at: now)
        let transactions = try await store.transactions(for: DemoOrganization.tenantId, before: nil, limit: 100_000)
        #expect(statement.lots.count == 5)
        let invoices = try await stores.billing.invoices(for: DemoOrganization.tenantId, before: nil, limit: 100)
        #expect(invoices.count == 5 && Set(invoices.map(\.lotId)) == Set(statement.lots.map(\.id)), "each lot bought with its invoice")
        #expect(statement.lots.contains { $0.isExpired(at: now) && $0.forfeitedMinor > 0 }, "one lot already expired")
        #expect(
            statement.lots.contains { !$0.isExpired(at: now) && $0.expiresAt < now.adding(days: 30) && $0.freeMinor > 0 },
            "one lot about to expire"
        )
        #expect(statement.figures.balanceMinor > 100_00 && statement.figures.heldMinor > 0, "funds left and a call in progress")
        #expect(transactions.contains { $0.receipt.kind == .charge && $0.receipt.occurredAt > now.adding(days: -3) })
        let records = try await stores.calls.usageRecords(
            for: DemoOrganization.tenantId,
            from: now.adding(days: -90),
            to: now,
            after: nil,
            limit: 100_000
        )
        #expect(records.count > 200)
        #expect(
            Set(records.map(\.capability)).isSuperset(of: [
                .domesticCallingPlan, .domesticAndInternationalCallingPlan, .conferencingPool,
                .communicationsCredits, .incoming,
            ]),
            "calls of every kind"
        )
        #expect(try await store.verify().isConsistent)

        _ = try await buildApplication(reader: TestServer.reader(database: database, demo: true))
        #expect(
            try await store.transactions(for: DemoOrganization.tenantId, before: nil, limit: 100_000).count == transactions.count,
            "a second start leaves the data as it was"
        )
    }

    @Test(arguments: [
        "postgres://localhost/credits", "postgres://credits:secret@localhost/credits", "postgres://credits@localhost:99999/credits",
        "postgres://credits@localhost/", "postgres://credits@/credits", "mysql://credits@localhost/credits", "sqlite:",
        "commscredits.sqlite", "",
    ])
    func refusesADatabaseItCannotUse(_ argument: String) async throws {
        #expect(throws: DatabaseLocationError.self) { try DatabaseLocation(argument, environment: [:]) }
    }

    @Test func aPostgresAddressTakesItsPasswordFromTheEnvironmentOrAFile() throws {
        let address = "postgres://credits@db.example:6543/ledger"
        guard case let .postgres(fromVariable) = try DatabaseLocation(address, environment: ["DATABASE_PASSWORD": "s3cret"]) else {
            Issue.record("not a PostgreSQL address")
            return
        }
        #expect(
            [fromVariable.user, fromVariable.host, fromVariable.database, fromVariable.password] == ["credits", "db.example", "ledger", "s3cret"]
        )
        #expect(fromVariable.port == 6543)
        #expect(fromVariable.description == address, "the password never shows")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("password-\(UUID().uuidString)")
        try "from-file\n".write(to: file, atomically: true, encoding: .utf8)
        guard
            case let .postgres(fromFile) = try DatabaseLocation(
                "postgresql://credits@db.example/ledger",
                environment: ["DATABASE_PASSWORD_FILE": file.path]
            )
        else {
            Issue.record("not a PostgreSQL address")
            return
        }
        #expect(fromFile.password == "from-file" && fromFile.port == 5432)
        #expect(throws: DatabaseLocationError.self) {
            try DatabaseLocation(address, environment: ["DATABASE_PASSWORD_FILE": file.path + "-missing"])
        }
    }
}
