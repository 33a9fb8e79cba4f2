public import CreditsStore

/// The services built the same way wherever the stores are opened (the server, the command
/// line, the simulation): one set of stores and the one clock everything reads the time from.
public struct CreditsServices: Sendable {
    public let stores: Stores
    public let clock: any CreditsClock
    public let directory: DirectoryService
    public let access: AccessService
    public let controls: CallControlService

    /// `credentialsClock` judges when sessions and tokens expire: `clock` unless told otherwise.
    public init(
        stores: Stores,
        clock: any CreditsClock,
        credentialsClock: (any CreditsClock)? = nil,
        accessSettings: AccessService.Settings = AccessService.Settings()
    ) {
        self.stores = stores
        self.clock = clock
        directory = DirectoryService(stores: stores, clock: clock)
        access = AccessService(stores: stores, clock: credentialsClock ?? clock, settings: accessSettings)
        controls = CallControlService(stores: stores, clock: clock)
    }
}
