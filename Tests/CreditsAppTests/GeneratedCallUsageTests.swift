import CreditsCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Hundreds of random call and usage operations through the HTTP API and the test clock per
/// seed: uploads new, repeated and conflicting, real-time calls started, updated, ended, left
/// silent, and repeated, uploads under a live call's id, clock jumps across time-outs and past
/// the retention, purged ids used again. After every step: the balance is what was bought and
/// recharged less every record ever charged (each counted once, however often it was sent), no
/// usage id is listed twice, and a repeated request got its first answer.
/// `USAGE_SEED=N swift test --filter GeneratedCallUsageTests` replays one seed.
@Suite struct GeneratedCallUsageTests {
    static let steps = Int(ProcessInfo.processInfo.environment["USAGE_STEPS"] ?? "") ?? 1_000
    static let seeds: [UInt64] = ProcessInfo.processInfo.environment["USAGE_SEED"].flatMap(UInt64.init).map { [$0] } ?? [1, 2]

    @Test(arguments: seeds)
    func randomCallsAndUploadsKeepTheBooks(seed: UInt64) async throws {
        try await TestServer.run(testClock: true) { client, _ in
            var run = try await UsageRun(client: client, seed: seed)
            for step in 0..<Self.steps { try await run.step(step) }
            let kinds = ["upload", "repeat", "conflict", "start", "update", "end", "repeatCall", "repeatEnd", "uploadLive", "advance", "reuse"]
            #expect(kinds.allSatisfy { run.ran[$0, default: 0] > 0 }, "seed \(seed): every kind ran: \(run.ran)")
            #expect(
                run.timeOuts > 0 && run.purged > 0 && run.recharges > 0,
                "seed \(seed): time-outs \(run.timeOuts), purged \(run.purged), recharges \(run.recharges)"
            )
        }
    }
}

struct UsageRun {
    let client: any TestClientProtocol
    let api = TestAPI()
    let seed: UInt64
    var random: SeededRandom
    var now = Instant(millisecondsSinceEpoch: 0)
    /// Every record ever seen, by usage id and start time: its charge, counted once.
    var charged: [String: Int] = [:]
    var uploads: [(id: String, record: String)] = []
    /// Calls in progress: the last request number, the seconds granted in all, and when the
    /// platform's silence ends the session (twice the last grant after the last answer).
    var open: [String: (number: Int, granted: Int, deadline: Instant)] = [:]
    /// The last request of each call and its answer, to send again: a repeat gets the first answer.
    var last: [String: (path: String, body: String, answer: String)] = [:]
    var ended: Set<String> = []
    var purgedIds: [String] = []
    var ran: [String: Int] = [:]
    var timeOuts = 0
    var purged = 0
    var recharges = 0
    var nextId = 0

    static let users = ["dom", "intl", "payg", "conf"]
    static let callees = ["+12065550100", "+442071234567", "+4930123456", "+447700900123", "+919876543210", "+18005550100"]

    init(client: any TestClientProtocol, seed: UInt64) async throws {
        self.client = client
        self.seed = seed
        random = SeededRandom(state: seed)
        try await api.putSampleDeck(client)
        try await api.advance(client, to: "2027-03-01T08:00:00Z")
        try await api.tailspin(client)
        try await api.send(client, .patch, "/v1/tenants/tailspin", #"{"usageRetentionDays":30}"#, expect: .ok)
        try await api.send(
            client,
            .put,
            "/v1/tenants/tailspin/credits/auto-recharge",
            #"{"enabled":true,"rechargeAmountMinor":100,"triggerAmountMinor":4990}"#,
            expect: .ok
        )
        now = ISO8601.parse("2027-03-01T08:00:00Z")!
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    mutating func newRecord(id: String) -> String {
        let start = ISO8601.format(now.adding(seconds: -Int64.random(in: 0...86_400, using: &random)))
        return
            #"{"usageId":"\#(id)","callType":"user_out","upn":"\#(pick(Self.users))@tailspin.com","callerNumber":"+14255550100","calleeNumber":"\#(pick(Self.callees))","startTime":"\#(start)","durationSeconds":\#(Int.random(in: 0...900, using: &random))}"#
    }

    mutating func step(_ step: Int) async throws {
        let context = "seed \(seed) step \(step)"
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<20:
            let batch = (0..<Int.random(in: 1...4, using: &random)).map { _ -> (String, String) in
                nextId += 1
                return ("u\(nextId)", newRecord(id: "u\(nextId)"))
            }
            let results = try await upload(batch.map(\.1))
            #expect(results.allSatisfy { ["charged", "refused"].contains($0) }, "\(context): \(results)")
            uploads += batch.map { (id: $0.0, record: $0.1) }
            ran["upload", default: 0] += 1
        case 20..<30 where !uploads.isEmpty:
            let again = pick(uploads)
            let result = try await upload([again.record]).first
            #expect(result == "duplicate" || result == "refused", "\(context): a repeat of \(again.id) is never charged again: \(result ?? "")")
            ran["repeat", default: 0] += 1
        case 30..<35 where !uploads.isEmpty:
            let other = pick(uploads)
            let changed = other.record.replacingOccurrences(of: #""durationSeconds":"#, with: #""durationSeconds":1"#)
            let result = try await upload([changed]).first
            #expect(result == "refused", "\(context): other content under \(other.id) is refused: \(result ?? "")")
            ran["conflict", default: 0] += 1
        case 35..<50:
            nextId += 1
            let session = "c\(nextId)"
            let start =
                #"{"requestNumber":1,"callType":"user_out","upn":"\#(pick(Self.users))@tailspin.com","callerNumber":"+14255550100","calleeNumber":"\#(pick(Self.callees))","startTime":"\#(ISO8601.format(now))"}"#
            let path = "/v1/tenants/tailspin/calls/\(session)/start"
            let sent = try await send(path, start)
            #expect(sent.status == 200, "\(context): \(sent.body)")
            let answer = (try? JSONSerialization.jsonObject(with: Data(sent.body.utf8))) as? [String: Any] ?? [:]
            last[session] = (path, start, sent.body)
            if answer["allowed"] as? Bool == true {
                let granted = answer["grantedSeconds"] as? Int ?? 0
                open[session] = (1, granted, now.adding(seconds: Int64(2 * granted)))
            }
            ran["start", default: 0] += 1
        case 50..<55 where !open.isEmpty:
            let session = pick(Array(open.keys).sorted())
            guard let call = open[session], now < call.deadline else { return }
            let used = Int.random(in: 0...max(0, call.granted), using: &random)
            let path = "/v1/tenants/tailspin/calls/\(session)/update"
            let request = #"{"requestNumber":\#(call.number + 1),"usedSeconds":\#(used)}"#
            let answer = try await send(path, request)
            #expect(answer.status == 200, "\(context): \(answer.body)")
            last[session] = (path, request, answer.body)
            let body = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any] ?? [:]
            let granted = body["grantedSeconds"] as? Int ?? 0
            open[session] =
                body["allowed"] as? Bool == true
                ? (call.number + 1, max(call.granted, used + granted), now.adding(seconds: Int64(2 * granted)))
                : (call.number + 1, call.granted, call.deadline)
            ran["update", default: 0] += 1
        case 55..<68 where !open.isEmpty:
            let session = pick(Array(open.keys).sorted())
            guard let call = open.removeValue(forKey: session), now < call.deadline else { return }
            let path = "/v1/tenants/tailspin/calls/\(session)/end"
            let duration = Int.random(in: 0...max(0, call.granted), using: &random)
            let body = #"{"requestNumber":\#(call.number + 1),"durationSeconds":\#(duration),"endTime":"\#(ISO8601.format(now))"}"#
            let answer = try await send(path, body)
            #expect(answer.status == 200, "\(context): \(answer.body)")
            last[session] = (path, body, answer.body)
            ended.insert(session)
            ran["end", default: 0] += 1
        case 68..<73 where !ended.isEmpty || !open.isEmpty:
            // The last request of a call in progress or ended, sent again.
            let session = pick(Array(ended.union(open.keys)).sorted())
            guard let earlier = last[session] else { return }
            let again = try await send(earlier.path, earlier.body)
            #expect(Self.json(again.body) == Self.json(earlier.answer), "\(context): a repeat gets its first answer: \(earlier.path) \(again.body)")
            ran[ended.contains(session) ? "repeatEnd" : "repeatCall", default: 0] += 1
        case 73..<78 where !open.isEmpty:
            // The platform uploads the record of a call still in progress: that one stands.
            let session = pick(Array(open.keys).sorted())
            _ = try await upload([newRecord(id: session)])
            ran["uploadLive", default: 0] += 1
        case 78..<83 where !purgedIds.isEmpty:
            let id = purgedIds.removeFirst()
            let result = try await upload([newRecord(id: id)]).first
            #expect(result == "charged", "\(context): the purged id \(id) comes again as a new record: \(result ?? "")")
            ran["reuse", default: 0] += 1
        default:
            // Within ten months: lots expire after twelve, and their forfeiture is the ledger tests' to check.
            let seconds = pick([60, 600, 1_500, 3_600, 86_400, 3 * 86_400, 9 * 86_400])
            let limit = ISO8601.parse("2027-12-31T00:00:00Z")!
            now = now.adding(seconds: Int64(seconds)) < limit ? now.adding(seconds: Int64(seconds)) : now.adding(seconds: 60)
            try await api.send(client, .post, "/v1/test-clock/advance", #"{"to":"\#(ISO8601.format(now))"}"#, expect: .ok)
            open = open.filter { now < $0.value.deadline }
            ran["advance", default: 0] += 1
        }
        try await check(context)
    }

    /// The statuses of an upload's results.
    mutating func upload(_ records: [String]) async throws -> [String] {
        let answer = try await api.send(
            client,
            .post,
            "/v1/tenants/tailspin/usage-records",
            #"{"records":[\#(records.joined(separator: ","))]}"#,
            expect: .ok
        )
        return (answer["results"] as? [[String: Any]] ?? []).map { $0["status"] as? String ?? "" }
    }

    static func json(_ text: String) -> NSDictionary? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? NSDictionary
    }

    func send(_ path: String, _ body: String) async throws -> (status: Int, body: String) {
        try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) {
            (Int($0.status.code), String(buffer: $0.body))
        }
    }

    mutating func check(_ context: String) async throws {
        let from = ISO8601.format(now.adding(days: -40))
        let to = ISO8601.format(now.adding(days: 2))
        var listed: [[String: Any]] = []
        var after: String?
        repeat {
            let page = try await api.send(
                client,
                .get,
                "/v1/tenants/tailspin/usage-records?from=\(from)&to=\(to)&limit=1000" + (after.map { "&after=\($0)" } ?? ""),
                expect: .ok
            )
            listed += page["records"] as? [[String: Any]] ?? []
            after = page["next"] as? String
        } while after != nil
        let ids = listed.compactMap { $0["usageId"] as? String }
        #expect(Set(ids).count == ids.count, "\(context): a usage id listed twice")
        var present: Set<String> = []
        for record in listed {
            let key = "\(record["usageId"] as? String ?? "")@\(record["startTime"] as? String ?? "")"
            present.insert(key)
            if charged[key] == nil {
                charged[key] = record["chargeMinor"] as? Int ?? 0
                if record["sourceOfCallDuration"] as? String == "timeout" { timeOuts += 1 }
            }
        }
        for key in charged.keys where !present.contains(key) && !purgedIds.contains(String(key.prefix { $0 != "@" })) {
            let id = String(key.prefix { $0 != "@" })
            if !ids.contains(id) {
                purgedIds.append(id)
                purged += 1
            }
        }
        // A recharge may finish in the background between two reads (its lot is added a moment
        // before it is marked succeeded): read until the recharges stand still around the
        // balance with none in flight.
        var credits: [String: Any] = [:]
        var recharged = -1
        for _ in 0..<200 {
            let before = try await rechargedMinor()
            credits = try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)
            let after = try await rechargedMinor()
            if before == after, after.pending == 0 {
                recharged = after.amount
                recharges = after.count
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let spent = charged.values.reduce(0, +)
        #expect(
            credits["balanceMinor"] as? Int == 5000 + recharged - spent,
            "\(context): balance \(credits["balanceMinor"] ?? "?") is not 5000 + \(recharged) recharged - \(spent) charged"
        )
    }

    func rechargedMinor() async throws -> (amount: Int, count: Int, pending: Int) {
        let list =
            try await api.send(client, .get, "/v1/tenants/tailspin/credits/recharges?limit=1000", expect: .ok)["recharges"] as? [[String: Any]] ?? []
        return (
            list.filter { $0["state"] as? String == "succeeded" }.reduce(0) { $0 + ($1["amountMinor"] as? Int ?? 0) }, list.count,
            list.filter { $0["state"] as? String == "pending" }.count
        )
    }
}

/// SplitMix64: the same numbers for the same seed, on every machine.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
