import CreditsCore
import CreditsEngine
import Synchronization

/// A bug the simulator can plant in the service, to prove that its checks catch one.
public enum PlantedBug: String, Sendable, CaseIterable {
    /// Each new lot is booked as if bought before every earlier one, so the newest is spent first.
    case newestLotFirst
    /// Funds are added under a new key on every try, so a retry adds them twice.
    case forgottenLedgerKeys
}

/// Everything outside the service that the simulator plays, shared by every life of the
/// service: the clock, the payment provider, the mail relay and webhooks, and the faults,
/// all drawn from the seed.
final class SimulatedWorld: Sendable {
    let seed: UInt64
    let clock: ManualClock
    let start: Instant
    let lifeline = Lifeline()
    let courier: SimulatedCourier
    let gateway: SimulatedGateway
    let plantedBug: PlantedBug?
    private let faults = Mutex<(on: Bool, attempts: [String: Int], lotsBooked: Int64)>((true, [:], 0))

    init(seed: UInt64, start: Instant, plantedBug: PlantedBug?) {
        self.seed = seed
        self.start = start
        self.plantedBug = plantedBug
        clock = ManualClock(start)
        courier = SimulatedCourier(seed: seed)
        let lifeline = lifeline
        gateway = SimulatedGateway(seed: seed, clock: clock, crash: { lifeline.kill() })
    }

    /// Turns every fault on or off (off: to let a run settle at its end).
    func setFaults(_ on: Bool) {
        faults.withLock { $0.on = on }
        gateway.setFaults(on)
        courier.setFaults(on)
    }

    /// Whether a fault with odds `chance` in `outOf` strikes the attempt named by `parts`;
    /// each try of the same thing draws anew, so that a retry can get through.
    func decides(_ chance: Int, in outOf: Int, naming parts: [String]) -> Bool {
        faults.withLock { state in
            guard state.on else { return false }
            let name = parts.joined(separator: "/")
            let attempt = state.attempts[name, default: 0]
            state.attempts[name] = attempt + 1
            var random = SplitMix64(seed: seed, naming: parts + ["\(attempt)"])
            return Int.random(in: 0..<outOf, using: &random) < chance
        }
    }

    /// A ledger request as the planted bug would send it, and the instant to book it at.
    func planted(on request: LedgerRequest) -> (request: LedgerRequest, bookedAt: Instant?) {
        guard case .addFunds = request.command, let plantedBug else { return (request, nil) }
        let booked = faults.withLock { state in
            state.lotsBooked += 1
            return state.lotsBooked
        }
        switch plantedBug {
        case .newestLotFirst:
            return (request, start.adding(seconds: -3600 * booked))
        case .forgottenLedgerKeys:
            let fresh = "\(request.key.rawValue.drop { $0 == "~" })-try-\(booked)"
            return (LedgerRequest(key: try! IdempotencyKey(fresh), command: request.command), nil)
        }
    }
}
