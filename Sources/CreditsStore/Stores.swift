/// The stores of one installation, over one database.
public struct Stores: Sendable {
    public let ledger: any LedgerStore
    public let directory: any DirectoryStore
    public let billing: any BillingStore
    public let calls: any CallStore
    public let access: any AccessStore
    public let answers: any AnswerStore
    public let notifications: any NotificationStore
    public let locks: any WorkLocks

    public init(
        ledger: any LedgerStore,
        directory: any DirectoryStore,
        billing: any BillingStore,
        calls: any CallStore,
        access: any AccessStore,
        answers: any AnswerStore,
        notifications: any NotificationStore,
        locks: any WorkLocks
    ) {
        self.ledger = ledger
        self.directory = directory
        self.billing = billing
        self.calls = calls
        self.access = access
        self.answers = answers
        self.notifications = notifications
        self.locks = locks
    }
}
