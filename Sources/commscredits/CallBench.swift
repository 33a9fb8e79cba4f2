import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Logging
import Payments

extension Bench {
    struct Calls: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rate lookups per second, call start+end pairs per second and usage records ingested per second."
        )

        @Option(help: "Prefixes in the generated rate deck.")
        var prefixes = 100_000

        @Option(help: "Rate lookups, on one core.")
        var lookups = 20_000_000

        @Option(help: "Call start+end pairs, from 64 concurrent callers, each request its own durable transaction (group commit).")
        var pairs = 20_000

        @Option(help: "Tenants the pairs are spread over (each caller takes its calls' tenants in turn); the usage batches go to the first.")
        var tenants = 1

        @Option(help: "Batches of \(LedgerLimits.maximumBatchSize) usage records, each batch one durable transaction.")
        var batches = 25

        @Option(help: "Users of each tenant the pairs take turns with.")
        var users = 1

        @Flag(
            help:
                "Judge the pairs by call controls: a tenant list of 50 blocked prefixes and two number types; rules of their own and a monthly spend limit for every user, and for the two administrative units each is in; the velocity alarm on."
        )
        var controls = false

        @Option(help: "Tenants whose call state stays in memory (CALLS_CACHE_TENANTS).")
        var cacheTenants = TenantCallsCache.Limits().tenants

        @Option(help: "An empty database to measure (default: a new SQLite file in the temporary directory).")
        var database: String?

        func run() async throws {
            if lookups > 0 { rateLookups() }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("commscredits-bench-\(UUID().uuidString).sqlite").path
            try await DatabaseLocation(database ?? "sqlite:" + path).withStores(callsCache: TenantCallsCache.Limits(tenants: cacheTenants)) {
                stores in
                let clock = ManualClock(SystemClock().now())
                let calls = Self.callService(stores, clock)
                _ = try await calls.importRates(SampleRateDeck.csv, currency: .usd)
                let spread = (0..<max(1, tenants)).map { TenantId($0 == 0 ? "bench" : "bench-\($0)") }
                // Many tenants are prepared side by side, so that their writes share commits.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for lane in 0..<min(64, spread.count) {
                        group.addTask {
                            for index in stride(from: lane, to: spread.count, by: 64) {
                                _ = try await Self.prepare(stores, spread[index], clock, users: users, controls: controls)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                try await startEndPairs(calls, spread, clock)
                let kept = stores.calls.keptTenants
                print("kept tenants after the pairs: \(kept.tenants), \(kept.bytes) bytes; \(kept.hits) hits, \(kept.misses) misses")
                try await usageBatches(calls, spread[0], clock)
                guard try await stores.ledger.verify().isConsistent else { throw ValidationError("the ledger does not verify") }
            }
        }

        /// Longest-prefix lookups of random numbers in a deck of random prefixes of 2 to 7 digits.
        func rateLookups() {
            var random = BenchRandom()
            var seen = Set<String>()
            var rates: [Rate] = []
            while rates.count < prefixes {
                let prefix =
                    String(Int.random(in: 1...9, using: &random))
                    + String(Int.random(in: 0...999_999, using: &random)).prefix(Int.random(in: 1...6, using: &random))
                guard seen.insert(prefix).inserted else { continue }
                rates.append(
                    try! Rate(
                        prefix: DialPrefix(prefix),
                        destination: "Destination",
                        numberType: .fixed,
                        rateMicrosPerMinute: 10_000,
                        effectiveFrom: CivilDate(year: 2026, month: 1, day: 1)
                    )
                )
            }
            let deck = try! RateDeck(currency: .usd, rates: rates)
            let numbers: [[UInt8]] = (0..<1_000_000).map { _ in
                (0..<12).map { $0 == 0 ? UInt8.random(in: 1...9, using: &random) : UInt8.random(in: 0...9, using: &random) }
            }
            let day = CivilDate(year: 2026, month: 11, day: 21).daysSinceEpoch
            var found = 0
            let elapsed = ContinuousClock().measure {
                for index in 0..<lookups where deck.rateIndex(for: numbers[index % numbers.count], onDay: day) != nil { found += 1 }
            }
            report("rate_lookups_\(prefixes)_prefixes_per_second", Double(lookups) / seconds(elapsed), "lookups/s")
            precondition(found > 0, "the deck matched nothing")
        }

        /// Calls charged through the sandbox gateway, logging only errors.
        static func callService(_ stores: Stores, _ clock: ManualClock) -> CallService {
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            let billing = BillingService(stores: stores, gateway: SandboxPaymentGateway(), clock: clock, logger: logger)
            return CallService(stores: stores, billing: billing, clock: clock)
        }

        /// Record `index` of a mix of payers: every fourth a toll-free call into a queue, the
        /// rest Pay-As-You-Go calls to Germany paid by the credits.
        static func upload(_ id: String, index: Int, startTime: Instant, administrativeUnits: String? = nil) throws -> UsageUpload {
            let queue = index % 4 == 0
            return UsageUpload(
                usageId: try CallSessionId(id),
                callId: nil,
                conferenceId: nil,
                callType: queue ? .resourceAccountIn : .userOut,
                upn: queue ? nil : try UserPrincipalName("caller@bench.example"),
                caller: try PhoneNumber("+12065550100"),
                callee: try PhoneNumber(queue ? "+18005550199" : "+4930123456"),
                startTime: startTime,
                durationSeconds: Int64(index % 600),
                messageUnits: 0,
                userObjectId: nil,
                administrativeUnits: administrativeUnits
            )
        }

        /// A funded tenant with `users` Pay-As-You-Go users holding the credits license (the first
        /// `caller@bench.example`, then `caller-N@bench.example`); with `controls`, destination rules
        /// that the bench's calls to the UK pass after judging them all.
        static func prepare(
            _ stores: Stores,
            _ tenant: TenantId,
            _ clock: ManualClock,
            users: Int = 1,
            controls: Bool = false
        ) async throws -> TenantId {
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
            _ = try await stores.ledger.execute(
                LedgerRequest(key: IdempotencyKey("fund"), command: .addFunds(source: .purchase, amountMinor: 1_000_000_000_00)),
                for: tenant,
                at: clock.now()
            )
            try await stores.directory.addUsers(
                try (0..<max(1, users)).map { index in
                    NumberedLine(
                        line: index + 1,
                        value: try User(
                            upn: caller(index),
                            displayName: "Caller",
                            usageLocation: CountryCode("US")!,
                            licenses: [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits],
                            administrativeUnits: controls ? try units(of: index) : []
                        )
                    )
                },
                to: tenant,
                creditsLicenseAvailable: true
            )
            guard controls else { return tenant }
            let service = CallControlService(stores: stores, clock: clock)
            let blocked = try (0..<50).map { try CallDestination("+\(880 + $0)") }
            try await service.setDestinationRules(
                DestinationRules(blockedNumberTypes: [.premium, .sharedCost], mode: .blockListed, destinations: blocked),
                of: tenant,
                by: "bench"
            )
            // Every user has rules of their own and a monthly limit far beyond what the pairs spend.
            let own = try DestinationRules(
                blockedNumberTypes: [.premium],
                mode: .blockListed,
                destinations: ["CU", "IR", "KP", "+881", "+882"].map(CallDestination.init)
            )
            let lines = try (0..<max(1, users)).map { index in
                NumberedLine(line: index + 2, value: UserControlLine(upn: try caller(index), limitMinor: 100_000_000_00, destinations: own))
            }
            _ = try await service.importUserControls(lines, of: tenant, by: "bench")
            // Every user is in two administrative units, each with a limit as far beyond.
            for unit in Set(try (0..<max(1, users)).flatMap(units)) {
                try await service.setSpendLimit(100_000_000_00, of: tenant, unit: unit, by: "bench")
            }
            // The velocity alarm watches every international pair, far above what they spend.
            try await service.setVelocityAlarm(hourlyAmountMinor: LedgerLimits.maximumAmountMinor, usualMultiple: 100, of: tenant, by: "bench")
            return tenant
        }

        /// The units of the bench's user number `index` with controls: one of 10 teams and one of 3 regions.
        static func units(of index: Int) throws -> Set<AdministrativeUnit> {
            [try AdministrativeUnit("Team \(index % 10)"), try AdministrativeUnit("Region \(index % 3)")]
        }

        /// The bench's user number `index` of a tenant.
        static func caller(_ index: Int) throws -> UserPrincipalName {
            try UserPrincipalName(index == 0 ? "caller@bench.example" : "caller-\(index)@bench.example")
        }

        /// Pay-As-You-Go calls to the UK: each start reserves a hold, each end posts it and writes the record.
        func startEndPairs(_ calls: CallService, _ tenants: [TenantId], _ clock: ManualClock) async throws {
            let callers = 64
            let upns = try (0..<max(1, users)).map(Self.caller)
            let (caller, callee) = (try PhoneNumber("+12065550100"), try PhoneNumber("+442071234567"))
            let now = clock.now()
            let elapsed = try await ContinuousClock().measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for lane in 0..<callers {
                        group.addTask {
                            for index in stride(from: lane, to: pairs, by: callers) {
                                let tenant = tenants[index % tenants.count]
                                let session = try CallSessionId("pair-\(index)")
                                let answer = try await calls.start(
                                    CallStart(
                                        sessionId: session,
                                        requestNumber: 1,
                                        callType: .userOut,
                                        upn: upns[index % upns.count],
                                        caller: caller,
                                        callee: callee,
                                        startTime: now
                                    ),
                                    for: tenant
                                )
                                guard answer.allowed else { throw ValidationError("refused: \(answer)") }
                                _ = try await calls.end(session, requestNumber: 2, durationSeconds: 95, endTime: now.adding(seconds: 95), for: tenant)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let spread =
                (tenants.count == 1 ? "" : "_\(tenants.count)_tenants") + (users == 1 ? "" : "_\(users)_users") + (controls ? "_controls" : "")
            report("call_start_end_pairs_\(callers)_callers\(spread)_per_second", Double(pairs) / seconds(elapsed), "pairs/s")
        }

        /// Records of every kind of payer: calling-plan-less PAYG on credits, toll-free into a queue.
        func usageBatches(_ calls: CallService, _ tenant: TenantId, _ clock: ManualClock) async throws {
            let now = clock.now()
            let uploads = try (0..<batches).map { batch in
                try (0..<LedgerLimits.maximumBatchSize).map { index in try Self.upload("record-\(batch)-\(index)", index: index, startTime: now) }
            }
            let elapsed = try await ContinuousClock().measure {
                for batch in uploads {
                    for result in try await calls.record(batch, for: tenant) {
                        guard case .charged = result else { throw ValidationError("not charged: \(result)") }
                    }
                }
            }
            report("usage_records_batched_per_second", Double(batches * LedgerLimits.maximumBatchSize) / seconds(elapsed), "records/s")
        }

        private func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }

        private func report(_ name: String, _ value: Double, _ unit: String) {
            print("BENCH \(name) \(Int(value.rounded())) \(unit)")
        }
    }
}

/// A fast, fixed-seed generator: the generated deck and numbers are alike on every run.
struct BenchRandom: RandomNumberGenerator {
    var state: UInt64 = 0x5EED

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
