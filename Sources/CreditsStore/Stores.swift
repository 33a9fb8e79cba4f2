/// The stores of one installation, over one database.
public struct Stores: Sendable {
    public let ledger: any LedgerStore
    public let directory: any DirectoryStore
    public let billing: any BillingStore

    public init(ledger: any LedgerStore, directory: any DirectoryStore, billing: any BillingStore) {
        self.ledger = ledger
        self.directory = directory
        self.billing = billing
    }
}
