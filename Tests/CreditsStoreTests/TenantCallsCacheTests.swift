import CreditsCore
import CreditsStore
import Testing

@Suite("The cache of tenants' call states")
struct TenantCallsCacheTests {
    private func calls(_ tenant: String) throws -> TenantCalls {
        let id = TenantId(tenant)
        let account = CreditAccount(tenantId: id, currency: .usd, liveLots: [], holds: [], debtMinor: 0)
        let record = try Tenant(
            id: id,
            name: tenant,
            country: CountryCode("US")!,
            currency: .usd,
            billingAccount: try BillingAccount(channel: .webDirect, commerceModel: .classic, agreements: []),
            createdAt: Instant(millisecondsSinceEpoch: 0)
        )
        return TenantCalls(
            desk: CallDesk(
                account: account,
                ids: LedgerIdAllocator(nextLotId: 1, nextTransactionId: 1),
                tenant: record,
                autoRecharge: .off,
                settings: CallDesk.Settings()
            )
        )
    }

    @Test("A state comes back only at the version it was kept at, and only once: it is out of the cache while in use; a stale one is dropped")
    func versions() throws {
        let cache = TenantCallsCache(limits: TenantCallsCache.Limits(tenants: 10, bytes: 1 << 20))
        let a = TenantId("a")
        cache.keep(try calls("a"), for: a, at: 1)
        #expect(cache.take(a, at: 2) == nil, "another writer moved the tenant on")
        #expect(cache.take(a, at: 1) == nil, "the stale state was dropped, not kept for later")
        cache.keep(try calls("a"), for: a, at: 3)
        #expect(cache.take(a, at: 3)?.tenant.id == a)
        #expect(cache.take(a, at: 3) == nil, "taken out while in use")
        #expect(cache.figures.tenants == 0 && cache.figures.bytes == 0 && cache.figures.hits == 1 && cache.figures.misses == 3)
    }

    @Test(
        "Past the bound on tenants the least recently used go first, down to nine tenths; nothing is kept with a bound of zero or beyond the byte bound"
    )
    func bounds() throws {
        let cache = TenantCallsCache(limits: TenantCallsCache.Limits(tenants: 10, bytes: 1 << 20))
        for index in 0..<10 { cache.keep(try calls("t\(index)"), for: TenantId("t\(index)"), at: 1) }
        // t0 is used again, so t1 is now the least recently used.
        cache.keep(try #require(cache.take(TenantId("t0"), at: 1)), for: TenantId("t0"), at: 1)
        cache.keep(try calls("t10"), for: TenantId("t10"), at: 1)
        #expect(cache.figures.tenants == 9)
        #expect(cache.take(TenantId("t1"), at: 1) == nil && cache.take(TenantId("t2"), at: 1) == nil, "the two least recently used went")
        #expect(cache.take(TenantId("t0"), at: 1) != nil && cache.take(TenantId("t10"), at: 1) != nil)

        let none = TenantCallsCache(limits: TenantCallsCache.Limits(tenants: 0, bytes: 1 << 20))
        none.keep(try calls("a"), for: TenantId("a"), at: 1)
        #expect(none.figures.tenants == 0)
        let tiny = TenantCallsCache(limits: TenantCallsCache.Limits(tenants: 10, bytes: 100))
        tiny.keep(try calls("a"), for: TenantId("a"), at: 1)
        #expect(tiny.figures.tenants == 0, "a state larger than the whole byte bound is not kept")
    }
}
