import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Logging
import Notifications

extension Bench {
    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Emails per second from the outbox to an SMTP relay on this machine."
        )

        @Option(help: "Notifications to send (one lot expiry notice each).")
        var notifications = 1_000

        @Option(help: "Administrators of the tenant: each notification goes to every one.")
        var administrators = 2

        @Option(help: "The port of an SMTP relay on 127.0.0.1 (bench/run starts one: Tests/Support/smtp_sink.py).")
        var smtpPort: Int

        func run() async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("commscredits-bench-\(UUID().uuidString).sqlite").path
            try await DatabaseLocation("sqlite:" + path).withStores { stores in
                let clock = ManualClock(SystemClock().now())
                var logger = Logger(label: "bench")
                logger.logLevel = .error
                let tenant = TenantId("bench")
                try await DirectoryService(stores: stores, clock: clock).createTenant(
                    Tenant(
                        id: tenant,
                        name: "Bench",
                        country: CountryCode("US")!,
                        currency: .usd,
                        billingAccount: BillingAccount(channel: .webDirect, commerceModel: .classic, agreements: []),
                        createdAt: clock.now()
                    )
                )
                try await stores.directory.addUsers(
                    (0..<administrators).map { index in
                        NumberedLine(
                            line: index + 1,
                            value: try User(
                                upn: UserPrincipalName("admin\(index)@bench.example"),
                                displayName: "Admin \(index)",
                                usageLocation: CountryCode("US")!,
                                roles: [.billingAdministrator]
                            )
                        )
                    },
                    to: tenant,
                    creditsLicenseAvailable: true
                )
                for batch in stride(from: 0, to: notifications, by: LedgerLimits.maximumBatchSize) {
                    let requests = try (batch..<min(batch + LedgerLimits.maximumBatchSize, notifications)).map { index in
                        LedgerRequest(key: try IdempotencyKey("lot-\(index)"), command: .addFunds(source: .purchase, amountMinor: 100))
                    }
                    _ = try await stores.ledger.execute(requests, for: tenant, at: clock.now())
                }
                clock.advance(to: clock.now().adding(months: 12).adding(days: -29))
                let noted = try await stores.notifications.noteExpiringLots(at: clock.now())
                guard noted == notifications else { throw ValidationError("expected \(notifications) expiry notices, noted \(noted)") }

                let mail = try Mailer(
                    configuration: SMTPConfiguration(host: "127.0.0.1", port: smtpPort, security: .none, from: "credits@bench.example")
                )
                let dispatcher = NotificationDispatcher(stores: stores, mail: mail, clock: clock, logger: logger)
                let emails = notifications * administrators
                var delivered = 0
                let elapsed = try await ContinuousClock().measure {
                    while delivered < emails {
                        let round = try await dispatcher.deliverDue()
                        guard round > 0 else { throw ValidationError("a round delivered nothing; is the relay on port \(smtpPort) up?") }
                        delivered += round
                    }
                }
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print("BENCH notification_emails_per_second \(Int((Double(emails) / seconds).rounded())) emails/s")
                print("BENCH notification_email_mean_ms \(String(format: "%.2f", seconds * 1000 / Double(emails))) ms")
            }
        }
    }
}
