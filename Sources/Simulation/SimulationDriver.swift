import CreditsCore
import CreditsEngine
import CreditsStore

/// The tenants, users and open calls of one simulation, and the operations it draws from.
struct SimulationDriver {
    static let rates = """
        prefix,destination,numberType,rateMicrosPerMinute,connectionFeeMicros,firstIncrementSeconds,nextIncrementSeconds,effectiveFrom
        1,United States - Fixed,fixed,20000,0,60,60,2026-01-01
        44,United Kingdom - Fixed,fixed,250000,0,60,60,2026-01-01
        447,United Kingdom - Mobile,mobile,600000,0,60,60,2026-01-01
        49,Germany - Fixed,fixed,300000,150000,1,1,2026-01-01
        1900,United States - Premium,premium,2000000,0,60,60,2026-01-01
        """
    static let callees = ["+12065550123", "+442071234567", "+447700900123", "+4930123456", "+18885550100", "+19005550100"]

    /// A call in progress as its platform sees it: when it started, the seconds granted in all
    /// and used so far, and whether the callee answered.
    struct OpenCall {
        let tenant: TenantId
        let session: CallSessionId
        let startedAt: Instant
        var requestNumber: Int64
        var granted: Int64
        var used: Int64 = 0
        var answered = false
    }

    /// Contoso pays by card, Fabrikam by agreement, Northwind moves to post-usage and back;
    /// tenants created along the way follow.
    var tenants = [TenantId("contoso"), TenantId("fabrikam"), TenantId("northwind")]
    let world: SimulatedWorld
    let database: SimulatedDatabase
    var process: SimulatedProcess
    var random: SplitMix64
    var checks: SimulationChecks
    var report: Simulation.Report
    var trace: [String] = []
    var openCalls: [OpenCall] = []
    var uploads: [(tenant: TenantId, upload: UsageUpload)] = []
    var purchases: [(tenant: TenantId, key: IdempotencyKey, order: PurchaseOrder)] = []
    /// The tenants the current step may have changed: the one an operation named, or all of
    /// them when time passed, due work ran or the service restarted.
    var touched: Set<TenantId> = []
    var endedPurchases: [String: PurchaseRecord] = [:]
    /// The purchase this step sent: its client sends it again if the service died before answering.
    var interruptedPurchase: (tenant: TenantId, key: IdempotencyKey, order: PurchaseOrder)?
    var step = 0

    init(seed: UInt64, database: SimulatedDatabase, plantedBug: PlantedBug?) async throws {
        var random = SplitMix64(seed: seed)
        // Somewhere in the winter of 2027-28, so that month ends and 29 February 2028 come by.
        let start = Instant(
            millisecondsSinceEpoch: ISO8601.parse("2027-12-01T00:00:00Z")!.millisecondsSinceEpoch
                + Int64.random(in: 0..<(80 * 86_400), using: &random) * 1000
        )
        world = SimulatedWorld(seed: seed, start: start, plantedBug: plantedBug)
        self.database = database
        self.random = random
        process = try await SimulatedProcess(database: database, world: world)
        checks = SimulationChecks()
        report = Simulation.Report(seed: seed)
        try await setUp()
    }

    // MARK: Steps

    mutating func step(_ number: Int) async throws {
        step = number
        let before = world.clock.now()
        touched = []
        interruptedPurchase = nil
        let name = try await runOperation()
        report.steps += 1
        report.operations[name, default: 0] += 1
        trace.append("\(number) \(world.clock.now()) \(name)")
        do {
            try await checks.check(
                touched,
                of: tenants,
                process.stores,
                gateway: world.gateway,
                courier: world.courier,
                purchases: purchaseRecords(),
                window: before...world.clock.now()
            )
        } catch let problem as SimulationChecks.Problem {
            throw Simulation.Failure(seed: world.seed, step: number, problem: problem.description, trace: trace)
        }
    }

    /// Turns the faults off and runs what falls due until nothing is in flight, then checks
    /// that every payment ended as a lot or a refusal and every notification was sent.
    mutating func settle(after steps: Int) async throws {
        let before = world.clock.now()
        world.setFaults(false)
        if world.lifeline.isDead { try await restart() }
        for call in openCalls {
            let ended = try? await process.calls.end(
                call.session,
                requestNumber: call.requestNumber + 1,
                durationSeconds: call.used,
                endTime: world.clock.now(),
                for: call.tenant
            )
            if ended?.replacedChargeMinor != nil { checks.replaced(recordOf: call.tenant) }
        }
        openCalls = []
        for _ in 0..<12 {
            world.clock.advance(seconds: 3600)
            try await process.dueWork.run()
        }
        do {
            try await checks.check(
                Set(tenants),
                of: tenants,
                process.stores,
                gateway: world.gateway,
                courier: world.courier,
                purchases: purchaseRecords(),
                window: before...world.clock.now()
            )
            try await checks.checkSettled(tenants, process.stores, purchases: purchaseRecords())
            try await checkSpendAgreesWithRecords()
        } catch let problem as SimulationChecks.Problem {
            throw Simulation.Failure(seed: world.seed, step: steps + 1, problem: "after settling: \(problem)", trace: trace)
        }
        report.providerCharges = world.gateway.charges.count
        report.notificationCopies = world.courier.received.count
        report.events = checks.events
    }

    /// Draws one operation and runs it; a refusal is an answer, a crash starts the next life.
    private mutating func runOperation() async throws -> String {
        let roll = Int.random(in: 0..<100, using: &random)
        let name: String
        do {
            switch roll {
            case 0..<10:
                name = "purchase"
                try await purchase()
            case 10..<13:
                name = "repeatPurchase"
                try await repeatPurchase()
            case 13..<17:
                name = "autoRecharge"
                try await autoRecharge()
            case 17..<37:
                name = "startCall"
                try await startCall()
            case 37..<51:
                name = "continueCall"
                try await continueCall()
            case 51..<63:
                name = "upload"
                try await upload()
            case 63..<65:
                name = "changeLicenses"
                try await changeLicenses()
            case 65..<67:
                name = "switchModel"
                try await switchModel()
            case 67..<68:
                name = "createTenant"
                try await createTenant()
            case 68..<81:
                name = "advanceClock"
                touched = Set(tenants)
                try await advanceClock()
            case 81..<84:
                name = "advanceMonths"
                touched = Set(tenants)
                try await advanceMonths()
            case 84..<88:
                name = "crash"
                touched = Set(tenants)
                world.lifeline.kill()
                report.crashes += 1
                try await restart()
            case 88..<90:
                name = "setDestinationRules"
                try await setDestinationRules()
            case 90..<92:
                name = "setSpendLimit"
                try await setSpendLimit()
            case 92..<94:
                name = "setVelocityAlarm"
                try await setVelocityAlarm()
            case 94..<95:
                name = "resumeSuspendedCalls"
                try await resumeSuspendedCalls()
            default:
                name = "dueWork"
                touched = Set(tenants)
                try await process.dueWork.run()
            }
        } catch  where (error is Refusal || error is LedgerError) && !world.lifeline.isDead {
            report.refusals += 1
            return "refused"
        } catch {
            guard world.lifeline.isDead else {
                throw Simulation.Failure(seed: world.seed, step: step, problem: "unexpected error: \(error)", trace: trace)
            }
            report.crashes += 1
            touched = Set(tenants)
            try await restart()
            try await retryInterruptedPurchase()
            return "crashed"
        }
        if world.lifeline.isDead {
            report.crashes += 1
            touched = Set(tenants)
            try await restart()
        }
        return name
    }

    /// The last life ends: its database is closed.
    func end() {
        world.lifeline.kill()
    }

    mutating func restart() async throws {
        process = try await SimulatedProcess(database: database, world: world)
    }

    /// Every purchase asked for, as the store has it now; one that ended is not read again.
    private mutating func purchaseRecords() async throws -> [PurchaseRecord] {
        var records: [PurchaseRecord] = []
        for purchase in purchases {
            if let ended = endedPurchases[purchase.key.rawValue] {
                records.append(ended)
            } else if let record = try await process.stores.billing.purchase(for: purchase.tenant, key: purchase.key) {
                records.append(record)
                if record.state != .pending { endedPurchases[purchase.key.rawValue] = record }
            }
        }
        return records
    }
}
