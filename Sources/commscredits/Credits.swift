import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore

struct Credits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a tenant's Communications Credits.",
        subcommands: [Show.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the balance, the lots with their expiry, open holds and the latest transactions."
        )

        @Option(help: "The tenant id, for example contoso.")
        var tenant: String

        @Option(help: "How many of the latest transactions to list.")
        var transactions = 10

        @OptionGroup var options: DatabaseOption

        func run() async throws {
            let tenantId = TenantId(tenant)
            let limit = transactions
            let (statement, latest) = try await DatabaseLocation(options.database).withServices { services in
                let ledger = services.stores.ledger
                return (
                    try await ledger.statement(for: tenantId, at: services.clock.now()),
                    try await ledger.transactions(for: tenantId, before: nil, limit: limit)
                )
            }
            let money = { (amount: Int64) in MoneyText.withCode(amount, statement.currency) }
            let figures = statement.figures
            print("Tenant \(tenant), as of \(statement.asOf)")
            print("  Balance    \(money(figures.balanceMinor))")
            print("  Available  \(money(figures.availableMinor))")
            print("  Held       \(money(figures.heldMinor)) by \(statement.openHolds.count) calls in progress")
            if figures.debtMinor > 0 { print("  Owed       \(money(figures.debtMinor)), repaid first by the next funds") }
            print("\nLots, in the order they are used:")
            for lot in statement.lots {
                let state = lot.isExpired(at: statement.asOf) ? "expired" : "expires"
                print(
                    "  #\(lot.id) \(lot.source.rawValue) \(ISO8601.formatDate(lot.purchasedAt)): \(money(lot.amountMinor)), "
                        + "\(money(lot.freeMinor)) free, \(money(lot.heldMinor)) held, \(money(lot.forfeitedMinor)) forfeited; "
                        + "\(state) \(ISO8601.formatDate(lot.expiresAt))"
                )
            }
            print("\nLatest transactions:")
            for transaction in latest {
                let receipt = transaction.receipt
                print(
                    "  \(receipt.occurredAt) \(receipt.kind.rawValue): \(money(receipt.amountMinor)); "
                        + "balance after \(money(receipt.balanceAfterMinor))"
                )
            }
        }
    }
}
