import Logging
public import ServiceLifecycle

/// Runs `NotificationDispatcher` every `interval` until shutdown.
public struct NotificationService: Service {
    let dispatcher: NotificationDispatcher
    let interval: Duration

    public init(dispatcher: NotificationDispatcher, interval: Duration) {
        self.dispatcher = dispatcher
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await dispatcher.deliverDue()
            } catch {
                dispatcher.logger.error("Delivering notifications failed; trying again next round", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
