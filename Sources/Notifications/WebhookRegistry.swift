public import CreditsCore
public import CreditsEngine
public import CreditsStore

/// A tenant's webhooks: registered with a secret shown once, listed without it, removed.
public struct WebhookRegistry: Sendable {
    /// Our rule: at most ten webhooks per tenant.
    public static let maximumPerTenant = 10
    let stores: Stores
    let clock: any CreditsClock
    let policy: WebhookAddress.Policy

    public init(stores: Stores, clock: any CreditsClock, policy: WebhookAddress.Policy = WebhookAddress.Policy()) {
        self.stores = stores
        self.clock = clock
        self.policy = policy
    }

    public func register(url: String, for tenantId: TenantId) async throws -> Webhook {
        let url = try Webhook.checkedURL(url, policy: policy)
        guard try await stores.notifications.webhooks(of: tenantId).count < Self.maximumPerTenant else {
            throw Refusal(
                .tooManyWebhooks,
                detail: "A tenant may register at most \(Self.maximumPerTenant) webhooks.",
                remedy: "Remove one that is no longer used."
            )
        }
        let webhook = Webhook(
            id: "whk_" + AccessService.randomText(bytes: 9),
            tenantId: tenantId,
            url: url,
            secret: "whsec_" + AccessService.randomText(bytes: 32),
            createdAt: clock.now()
        )
        try await stores.notifications.addWebhook(webhook)
        return webhook
    }

    public func webhooks(of tenantId: TenantId) async throws -> [Webhook] {
        try await stores.notifications.webhooks(of: tenantId)
    }

    public func remove(_ id: String, of tenantId: TenantId) async throws {
        guard try await stores.notifications.removeWebhook(id, of: tenantId, at: clock.now()) else {
            throw Refusal(.unknownWebhook, detail: "The tenant has no webhook '\(id)'.")
        }
    }
}
