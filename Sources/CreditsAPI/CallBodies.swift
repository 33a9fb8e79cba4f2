import CreditsCore
import CreditsStore
import Hummingbird

/// The answer to *start*, *answer* and *update*; `detail` says in words why a call was
/// refused. The increments and the connection fee come with the start; `validUntil` is the
/// silent-session deadline.
struct CallAnswerBody: Encodable, ResponseEncodable {
    let allowed: Bool
    let reason: String?
    let detail: String?
    /// The destination rule that refused the call: `numberType:premium`, `destination:+882`, `allowList`.
    let rule: String?
    let capability: String?
    let rateMicrosPerMinute: Int64?
    let grantedSeconds: Int64
    let firstIncrementSeconds: Int64?
    let nextIncrementSeconds: Int64?
    let connectionFeeMinor: Int64?
    let validUntil: String?
    /// Present (true) when the balance cut the grant short: ask again before it runs out.
    let finalGrant: Bool?
    /// The tenant the call was charged in, when the directory found it by the call's number.
    let tenantId: String?

    init(_ answer: CallAnswer, tenantId: TenantId? = nil) {
        self.tenantId = tenantId?.rawValue
        allowed = answer.allowed
        reason = answer.reason?.rawValue
        detail = answer.refusalDetail
        rule = answer.refusedBy?.description
        capability = answer.capability?.rawValue
        rateMicrosPerMinute = answer.rateMicrosPerMinute
        grantedSeconds = answer.grantedSeconds
        firstIncrementSeconds = answer.firstIncrementSeconds
        nextIncrementSeconds = answer.nextIncrementSeconds
        connectionFeeMinor = answer.connectionFeeMinor
        validUntil = answer.allowed ? answer.validUntil.map(ISO8601.format) : nil
        finalGrant = answer.finalGrant ? true : nil
    }
}

/// The answer to *end*.
struct CallEndBody: Encodable, ResponseEncodable {
    let chargeMinor: Int64
    let connectionFeeMinor: Int64
    let capability: String
    let usageId: String
    /// The seconds charged: those reported, unless they ran beyond the grant or the call's times.
    let durationSeconds: Int64
    /// On a late end: what the time-out had charged, which `chargeMinor` replaced.
    let replacedChargeMinor: Int64?

    init(_ answer: CallAnswer) {
        chargeMinor = answer.chargeMinor ?? 0
        connectionFeeMinor = answer.connectionFeeMinor ?? 0
        capability = answer.capability?.rawValue ?? Capability.freeCall.rawValue
        usageId = answer.usageId ?? ""
        durationSeconds = answer.durationSeconds ?? 0
        replacedChargeMinor = answer.replacedChargeMinor
    }
}

struct UsageResultBody: Encodable {
    let usageId: String
    /// `charged`, `duplicate` (charged before, nothing done) or `refused`.
    let status: String
    var chargeMinor: Int64?
    var capability: String?
    var code: String?
    var detail: String?
}

struct UsageResultsBody: Encodable, ResponseEncodable {
    let results: [UsageResultBody]
}

/// One usage record with the report's columns (`DOMAIN.md` section 10), in camelCase.
struct UsageRecordBody: Encodable {
    let usageId, callId: String
    let conferenceId: String?
    let userLocation: String?
    let userObjectId: String?
    let upn: String?
    let userDisplayName: String?
    let callerNumber: String
    let callType: String
    let callDirection: String
    let numberType: String?
    let domesticInternational: String
    let destinationDialed: String?
    let destinationNumber: String
    let externalCountry: String?
    let startTime, endTime: String
    let durationSeconds: Int64
    let billedSeconds: Int64
    let messageUnits: Int64
    let connectionFeeMinor: Int64
    let chargeMinor: Int64
    let currency: String
    let capability: String
    let pool: String?
    let poolUnits: Int64
    let `operator`: String
    let sourceOfCallDuration: String
    let administrativeUnits: String?
    /// Charged for a user who lacked the license or calling plan the call needed.
    let unlicensedUse: Bool

    init(_ record: UsageRecord) {
        usageId = record.usageId
        callId = record.callId
        conferenceId = record.conferenceId
        userLocation = record.userLocation?.rawValue
        userObjectId = record.userObjectId
        upn = record.upn?.rawValue
        userDisplayName = record.userDisplayName
        callerNumber = record.callerNumber.description
        callType = record.callType.rawValue
        callDirection = record.callType.direction
        numberType = record.numberType?.rawValue
        domesticInternational = record.isDomestic ? "Domestic" : "International"
        destinationDialed = record.destinationName
        destinationNumber = record.destinationNumber.description
        externalCountry = record.externalCountry?.rawValue
        startTime = ISO8601.format(record.startTime)
        endTime = ISO8601.format(record.endTime)
        durationSeconds = record.durationSeconds
        billedSeconds = record.billedSeconds
        messageUnits = record.messageUnits
        connectionFeeMinor = record.connectionFeeMinor
        chargeMinor = record.chargeMinor
        currency = record.currency.code
        capability = record.capability.rawValue
        pool = record.pool?.description
        poolUnits = record.poolUnits
        self.operator = UsageRecord.operatorName
        sourceOfCallDuration = record.source.rawValue
        administrativeUnits = record.administrativeUnits
        unlicensedUse = record.unlicensedUse
    }
}

struct UsageRecordList: Encodable, ResponseEncodable {
    let records: [UsageRecordBody]
    /// Pass as `after` for the next page; absent on the last.
    let next: String?
}

struct PoolBody: Encodable {
    let pool: String
    let capability: String
    let country: String?
    let month: String
    let capacity: Int64
    let used: Int64
    let remaining: Int64
    /// Seconds for minute pools; units (a domestic second 1, an international second 5) for MCOPSTN2.
    let unit: String

    init(_ balance: PoolBalance) {
        pool = balance.key.description
        capability = balance.key.capability.rawValue
        country = balance.key.country?.rawValue
        month = balance.month.description
        capacity = balance.capacity
        used = balance.used
        remaining = balance.capacity - balance.used
        unit = balance.key.capability == .domesticAndInternationalCallingPlan ? "unitSeconds" : "seconds"
    }
}

struct PoolList: Encodable, ResponseEncodable {
    let month: String
    let pools: [PoolBody]
}

struct RateBody: Encodable, ResponseEncodable {
    let prefix: String
    let destination: String
    let numberType: String
    let rateMicrosPerMinute: Int64
    let connectionFeeMicros: Int64
    let firstIncrementSeconds: Int64
    let nextIncrementSeconds: Int64
    let effectiveFrom: String
    let country: String?

    init(_ rate: Rate, number: PhoneNumber) {
        prefix = rate.prefix.description
        destination = rate.destination
        numberType = rate.numberType.rawValue
        rateMicrosPerMinute = rate.rateMicrosPerMinute
        connectionFeeMicros = rate.connectionFeeMicros
        firstIncrementSeconds = rate.firstIncrementSeconds
        nextIncrementSeconds = rate.nextIncrementSeconds
        effectiveFrom = ISO8601.formatDate(rate.effectiveFrom)
        country = NumberingPlan.country(of: number)?.rawValue
    }
}

struct PostUsageInvoiceBody: Encodable {
    let id: Int64
    let number: String
    let month: String
    let issuedAt: String
    let amountMinor: Int64
    let currency: String
    let records: Int64

    init(_ invoice: PostUsageInvoice) {
        id = invoice.id
        number = invoice.number
        month = invoice.month.description
        issuedAt = ISO8601.format(invoice.issuedAt)
        amountMinor = invoice.amountMinor
        currency = invoice.currency.code
        records = invoice.records
    }
}

struct PostUsageInvoiceList: Encodable, ResponseEncodable {
    let invoices: [PostUsageInvoiceBody]
}

extension Instant {
    /// An ISO 8601 instant from a request, or a refusal naming the field.
    static func parse(_ text: String, field: ProblemCode) throws(Refusal) -> Instant {
        guard let instant = ISO8601.parse(text) else {
            throw Refusal.invalid(field, "\(field.field) is an ISO 8601 time such as 2026-11-21T09:30:00Z, not '\(text.prefix(40))'.")
        }
        return instant
    }
}
