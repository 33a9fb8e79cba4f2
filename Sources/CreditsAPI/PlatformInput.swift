public import CreditsCore

/// What the telephony platform sends (`API.md`, Calls), read from its JSON bodies into the
/// rules' types: one entry point per body, which the routes use and the fuzzers drive. A body
/// of the wrong shape throws a `Problem` naming the field; a wrong value, its `Refusal`.
public enum PlatformInput {
    public static func callStart(_ body: [UInt8], sessionId: CallSessionId) throws -> CallStartRequest {
        try JSONBody.decode(CallStartInput.self, from: body).request(sessionId: sessionId)
    }

    public static func callUpdate(_ body: [UInt8]) throws -> (requestNumber: Int64, usedSeconds: Int64) {
        let input = try JSONBody.decode(CallUpdateInput.self, from: body)
        return (input.requestNumber, try CallLimits.checkedSeconds(input.usedSeconds, field: .invalidUsedSeconds))
    }

    /// The body of *answer* and *cancel*: the request number alone.
    public static func requestNumber(_ body: [UInt8]) throws -> Int64 {
        try JSONBody.decode(CallStepInput.self, from: body).requestNumber
    }

    public static func callEnd(_ body: [UInt8]) throws -> (requestNumber: Int64, durationSeconds: Int64, endTime: Instant) {
        let input = try JSONBody.decode(CallEndInput.self, from: body)
        return (
            input.requestNumber, try CallLimits.checkedSeconds(input.durationSeconds, field: .invalidDurationSeconds),
            try Instant.parse(input.endTime, field: .invalidEndTime)
        )
    }

    /// Each record is read on its own: one that is malformed is refused alone, with its reason.
    public static func usageRecords(_ body: [UInt8]) throws -> [(usageId: String, upload: Result<UsageUpload, Refusal>)] {
        try JSONBody.decode(UsageUploadInput.self, from: body).records.map { record in
            (record.usageId, Result { () throws(Refusal) in try record.upload() })
        }
    }
}

struct CallStartInput: Decodable {
    let requestNumber: Int64
    let callType: String
    let upn: String?
    let callerUri: String?
    let callerNumber: String?
    let calleeNumber: String
    let startTime: String
    let callId: String?

    func request(sessionId: CallSessionId) throws(Refusal) -> CallStartRequest {
        try CallStartRequest(
            sessionId: sessionId,
            requestNumber: requestNumber,
            callType: CallType.parse(callType, field: .invalidCallType),
            upn: upn.map { text throws(Refusal) in try UserPrincipalName(text) },
            callerAddress: callerUri.map { text throws(Refusal) in try SIPAddress(text) },
            callerNumber: callerNumber.map { text throws(Refusal) in try PhoneNumber(text) },
            callee: PhoneNumber(calleeNumber),
            startTime: Instant.parse(startTime, field: .invalidStartTime),
            callId: UsageUpload.checkedText(callId, field: .invalidCallId, limit: UsageUpload.maximumIdLength)
        )
    }
}

struct CallStepInput: Decodable {
    let requestNumber: Int64
}

struct CallUpdateInput: Decodable {
    let requestNumber: Int64
    let usedSeconds: Int64
}

struct CallEndInput: Decodable {
    let requestNumber: Int64
    let durationSeconds: Int64
    let endTime: String
}

struct UsageUploadInput: Decodable {
    struct Record: Decodable {
        let usageId: String
        let callId: String?
        let conferenceId: String?
        let callType: String
        let upn: String?
        let callerNumber: String
        let calleeNumber: String
        let startTime: String
        let durationSeconds: Int64
        let messageUnits: Int64?
        let userObjectId: String?
        let administrativeUnits: String?

        func upload() throws(Refusal) -> UsageUpload {
            let type = try CallType.parse(callType, field: .invalidCallType)
            let idLimit = UsageUpload.maximumIdLength
            return UsageUpload(
                usageId: try CallSessionId(usageId),
                callId: try UsageUpload.checkedText(callId, field: .invalidCallId, limit: idLimit),
                conferenceId: try UsageUpload.checkedText(conferenceId, field: .invalidConferenceId, limit: idLimit),
                callType: type,
                upn: try upn.map { text throws(Refusal) in try UserPrincipalName(text) },
                caller: try PhoneNumber(callerNumber),
                callee: try PhoneNumber(calleeNumber),
                startTime: try Instant.parse(startTime, field: .invalidStartTime),
                durationSeconds: try CallLimits.checkedSeconds(durationSeconds, field: .invalidDurationSeconds),
                messageUnits: try CallLimits.checkedMessageUnits(messageUnits ?? (type.isSMS ? 1 : 0)),
                userObjectId: try UsageUpload.checkedText(userObjectId, field: .invalidUserObjectId, limit: idLimit),
                administrativeUnits: try UsageUpload.checkedText(
                    administrativeUnits,
                    field: .invalidAdministrativeUnits,
                    limit: UsageUpload.maximumAdministrativeUnitsLength
                )
            )
        }
    }

    let records: [Record]
}
