import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Reports

/// The telephony platform's paths (`API.md`, Calls): real-time *start* (in a tenant, or by the
/// call's number), *answer*, *update*, *end* and *cancel*, idempotent by session id and request number, and usage records uploaded after the fact,
/// idempotent by usage id. Plus what an administrator reads of them: records and pools.
struct CallRoutes {
    let directory: DirectoryService
    let calls: CallService
    let records: AccountRecords
    let clock: any CreditsClock

    func add(to router: some RouterMethods<APIRequestContext>) {
        // A platform serving many tenants starts a call by its number alone; the answer names
        // the tenant, whose paths the later steps use.
        router.post("v1/calls/:sessionId/start") { request, context in
            let start = try PlatformInput.callStart(try await request.bodyBytes(context: context), sessionId: context.sessionId())
            let started = try await calls.start(start, by: context.caller())
            return CallAnswerBody(started.answer, tenantId: started.tenantId)
        }
        let session = router.group("v1/tenants/:tenantId/calls/:sessionId")
        session.post("start") { request, context in
            let tenantId = try context.tenantId(for: .chargeCalls)
            let start = try PlatformInput.callStart(try await request.bodyBytes(context: context), sessionId: context.sessionId())
            return CallAnswerBody(try await calls.start(start, for: tenantId), tenantId: tenantId)
        }
        session.post("answer") { request, context in
            let tenantId = try context.tenantId(for: .chargeCalls)
            let number = try PlatformInput.requestNumber(try await request.bodyBytes(context: context))
            return CallAnswerBody(try await calls.step(context.sessionId(), requestNumber: number, .answer, for: tenantId))
        }
        session.post("cancel") { request, context in
            let tenantId = try context.tenantId(for: .chargeCalls)
            let number = try PlatformInput.requestNumber(try await request.bodyBytes(context: context))
            return CallAnswerBody(try await calls.step(context.sessionId(), requestNumber: number, .cancel, for: tenantId))
        }
        session.post("update") { request, context in
            let tenantId = try context.tenantId(for: .chargeCalls)
            let input = try PlatformInput.callUpdate(try await request.bodyBytes(context: context))
            return CallAnswerBody(
                try await calls.update(
                    context.sessionId(),
                    requestNumber: input.requestNumber,
                    usedSeconds: input.usedSeconds,
                    for: tenantId
                )
            )
        }
        session.post("end") { request, context in
            let tenantId = try context.tenantId(for: .chargeCalls)
            let input = try PlatformInput.callEnd(try await request.bodyBytes(context: context))
            return CallEndBody(
                try await calls.end(
                    context.sessionId(),
                    requestNumber: input.requestNumber,
                    durationSeconds: input.durationSeconds,
                    endTime: input.endTime,
                    for: tenantId
                )
            )
        }

        let tenant = router.group("v1/tenants/:tenantId")
        tenant.post("usage-records") { request, context in
            try await upload(request, context)
        }
        tenant.get("usage-records") { request, context in
            let tenantId = try await directory.tenant(context.tenantId(for: .readBilling)).id
            let limit = try request.limit()
            let (from, to) = try request.dateRange(now: clock.now())
            let after = try request.usageCursor()
            let usage = try await records.usageRecords(of: tenantId, from: from, to: to, after: after, limit: limit)
            return UsageRecordList(records: usage.map(UsageRecordBody.init), next: UsageCursor.next(after: usage, limit: limit)?.token)
        }
        tenant.get("pools") { request, context in
            let tenantId = try await directory.tenant(context.tenantId(for: .readBilling)).id
            let month =
                try request.uri.queryParameters.get("month").map { text in
                    guard let month = CalendarMonth(text) else { throw Problem.badRequest("month is YYYY-MM, such as 2026-11.") }
                    return month
                } ?? CalendarMonth(of: clock.now())
            return PoolList(month: month.description, pools: try await records.pools(of: tenantId, month: month).map(PoolBody.init))
        }
        tenant.get("post-usage/invoices") { _, context in
            let tenantId = try await directory.tenant(context.tenantId(for: .readBilling)).id
            return PostUsageInvoiceList(invoices: try await records.postUsageInvoices(of: tenantId).map(PostUsageInvoiceBody.init))
        }
    }

    /// Every record is read on its own: one that is malformed is refused alone, with its reason,
    /// and the others are charged.
    private func upload(_ request: Request, _ context: APIRequestContext) async throws -> UsageResultsBody {
        let tenantId = try context.tenantId(for: .uploadUsage)
        let records = try PlatformInput.usageRecords(try await request.bodyBytes(context: context))
        guard records.count <= LedgerLimits.maximumBatchSize else {
            throw Problem(
                .batchTooLarge,
                detail: "A batch holds at most \(LedgerLimits.maximumBatchSize) records, not \(records.count); split it."
            )
        }
        let valid = records.compactMap { try? $0.upload.get() }
        var charged = try await calls.record(valid, for: tenantId).makeIterator()
        let results = records.map { record -> UsageResultBody in
            guard case .success = record.upload, let result = charged.next() else {
                guard case let .failure(error) = record.upload else { preconditionFailure("one result per valid record") }
                return UsageResultBody(usageId: record.usageId, status: "refused", code: error.code.rawValue, detail: error.detail)
            }
            switch result {
            case let .charged(usage):
                return UsageResultBody(
                    usageId: usage.usageId,
                    status: "charged",
                    chargeMinor: usage.chargeMinor,
                    capability: usage.capability.rawValue
                )
            case let .duplicate(usage):
                return UsageResultBody(
                    usageId: usage.usageId,
                    status: "duplicate",
                    chargeMinor: usage.chargeMinor,
                    capability: usage.capability.rawValue
                )
            case let .refused(error):
                return UsageResultBody(usageId: record.usageId, status: "refused", code: error.code.rawValue, detail: error.detail)
            }
        }
        return UsageResultsBody(results: results)
    }
}

extension APIRequestContext {
    func sessionId() throws -> CallSessionId {
        do {
            return try CallSessionId(parameters.require("sessionId"))
        } catch let error as Refusal {
            throw Problem(error)
        }
    }
}

extension Request {
    /// `from` and `to` (ISO 8601 dates or times); by default the last 28 days.
    func dateRange(now: Instant) throws -> (Instant, Instant) {
        let to = try instant("to") ?? now
        let from = try instant("from") ?? to.adding(days: -28)
        guard from < to else { throw Problem.badRequest("from must come before to.") }
        return (from, to)
    }

    /// The query parameter `name` as an ISO 8601 date or time, if given.
    func instant(_ name: String) throws -> Instant? {
        try uri.queryParameters.get(name).map { text in
            guard let instant = ISO8601.parse(text) else { throw Problem.badRequest("\(name) is an ISO 8601 date or time, such as 2026-11-01.") }
            return instant
        }
    }

    /// The `after` cursor of a usage page: `startMilliseconds:usageId` as the last page's `next` gave it.
    func usageCursor() throws -> UsageCursor? {
        try uri.queryParameters.get("after").map { text in
            guard let cursor = UsageCursor(token: text) else { throw Problem.badRequest("after is the next value of the previous page.") }
            return cursor
        }
    }
}
