/// One record as the PSTN and SMS usage export writes it (`DOMAIN.md` section 10): the columns
/// in their order and spelling, every value as text, the external number masked where the
/// country requires it.
public enum UsageReportRow {
    public static let columns = [
        "UsageId", "Call ID", "Conference ID", "User Location", "Microsoft Entra ObjectId", "UPN", "User Display Name", "Caller ID",
        "Call Type", "Call Direction", "Number Type", "Domestic/International", "Destination Dialed", "Destination Number",
        "External Country", "Start Time", "End Time", "Duration Seconds", "Connection Fee", "Charge", "Currency", "Capability",
        "Operator", "Source of Call Duration", "Administrative Units",
    ]

    /// The caller and destination numbers as every report shows them (the export, the admin
    /// center's usage page): the external party's masked where its country requires it. The
    /// external party is the caller of an incoming call and the number dialled otherwise.
    public static func numbers(_ record: UsageRecord) -> (caller: String, destination: String) {
        let external = record.externalCountry
        if record.callType.isIncoming {
            return (ExternalNumberMasking.masked(record.callerNumber, country: external), record.destinationNumber.description)
        }
        return (record.callerNumber.description, ExternalNumberMasking.masked(record.destinationNumber, country: external))
    }

    public static func values(_ record: UsageRecord) -> [String] {
        let external = record.externalCountry
        let (caller, destination) = numbers(record)
        return [
            record.usageId, record.callId, record.conferenceId ?? "", record.userLocation?.rawValue ?? "", record.userObjectId ?? "",
            record.upn?.rawValue ?? "", record.userDisplayName ?? "", caller, record.callType.rawValue, record.callType.direction,
            record.numberType?.rawValue ?? "", record.isDomestic ? "Domestic" : "International", record.destinationName ?? "", destination,
            external?.rawValue ?? "", ISO8601.format(record.startTime), ISO8601.format(record.endTime), String(record.durationSeconds),
            MoneyText.decimal(record.connectionFeeMinor, record.currency), MoneyText.decimal(record.chargeMinor, record.currency),
            record.currency.code, record.capability.rawValue, UsageRecord.operatorName, record.source.rawValue, record.administrativeUnits ?? "",
        ]
    }
}

/// Some countries require external numbers in reports to be masked (`DOMAIN.md` section 10):
/// the last 3 digits in BE, DE, DK, ES, FI, IT, NL, NO and SE, the last 4 in CH and FR.
public enum ExternalNumberMasking {
    public static let maskedDigits: [String: Int] = [
        "BE": 3, "DE": 3, "DK": 3, "ES": 3, "FI": 3, "IT": 3, "NL": 3, "NO": 3, "SE": 3, "CH": 4, "FR": 4,
    ]

    /// `number` with its last digits replaced by `*` when `country` requires it.
    public static func masked(_ number: PhoneNumber, country: CountryCode?) -> String {
        let text = number.description
        guard let country, let count = maskedDigits[country.rawValue] else { return text }
        // A number is "+" and ASCII digits, so bytes are characters (and cheaper to count).
        var bytes = Array(text.utf8)
        for index in max(bytes.count - count, 1)..<bytes.count { bytes[index] = UInt8(ascii: "*") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
