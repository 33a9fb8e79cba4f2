package import CreditsCore
import Foundation

/// How the stores write the values they keep as text (JSON, or tab-separated where every call
/// reads them), one format for every database.
package enum StoredValues {
    private struct PaymentMethodJSON: Codable {
        var type: String
        var token: String?, brand: String?, lastFour: String?, expiryMonth: Int?, expiryYear: Int?
        var agreementNumber: String?, purchaseOrder: String?
    }

    private struct AgreementJSON: Codable {
        var number: String
        var billingCountry: String
    }

    package static func json(_ method: PaymentMethod) -> String {
        let value: PaymentMethodJSON =
            switch method {
            case let .card(card):
                PaymentMethodJSON(
                    type: "card",
                    token: card.token,
                    brand: card.brand,
                    lastFour: card.lastFour,
                    expiryMonth: card.expiryMonth,
                    expiryYear: card.expiryYear
                )
            case let .agreement(number, purchaseOrder):
                PaymentMethodJSON(type: "agreement", agreementNumber: number, purchaseOrder: purchaseOrder)
            }
        return encode(value)
    }

    package static func paymentMethod(_ text: String) -> PaymentMethod {
        let value = decode(PaymentMethodJSON.self, text)
        if value.type == "card" {
            return .card(
                .init(
                    token: value.token!,
                    brand: value.brand!,
                    lastFour: value.lastFour!,
                    expiryMonth: value.expiryMonth!,
                    expiryYear: value.expiryYear!
                )
            )
        }
        return .agreement(number: value.agreementNumber!, purchaseOrder: value.purchaseOrder)
    }

    package static func json(_ agreements: [EnterpriseAgreement]) -> String {
        encode(agreements.map { AgreementJSON(number: $0.number, billingCountry: $0.billingCountry.rawValue) })
    }

    package static func agreements(_ text: String) -> [EnterpriseAgreement] {
        if text == "[]" { return [] }
        return decode([AgreementJSON].self, text).map { try! EnterpriseAgreement(number: $0.number, billingCountry: CountryCode($0.billingCountry)!) }
    }

    package static func json(_ names: some Sequence<String>) -> String { encode(names.sorted()) }
    /// Reads a JSON array of plain strings directly (every call reads a user's roles and
    /// licenses); anything with an escape goes through the JSON decoder.
    package static func names(_ text: String) -> [String] {
        let bytes = text.utf8
        guard bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]"), !bytes.contains(UInt8(ascii: "\\")) else {
            return decode([String].self, text)
        }
        return text.dropFirst().dropLast().split(separator: ",").map { String($0.dropFirst().dropLast()) }
    }

    /// "enabled,recharge,trigger": the auto-recharge settings a purchase asked for.
    package static func text(_ settings: AutoRechargeSettings?) -> String? {
        settings.map { "\($0.enabled ? 1 : 0),\($0.rechargeAmountMinor),\($0.triggerAmountMinor)" }
    }

    package static func autoRecharge(_ text: String?) -> AutoRechargeSettings? {
        guard let parts = text?.split(separator: ",").compactMap({ Int64($0) }), parts.count == 3 else { return nil }
        return AutoRechargeSettings(unchecked: parts[0] == 1, rechargeAmountMinor: parts[1], triggerAmountMinor: parts[2])
    }

    /// A session's rate in one text column, tab-separated (names hold no control characters).
    package static func text(_ rate: Rate?) -> String? {
        rate.map {
            [
                $0.prefix.description, $0.destination, $0.numberType.rawValue, String($0.rateMicrosPerMinute), String($0.connectionFeeMicros),
                String($0.firstIncrementSeconds), String($0.nextIncrementSeconds), ISO8601.formatDate($0.effectiveFrom),
            ].joined(separator: "\t")
        }
    }

    package static func rate(_ text: String?) -> Rate? {
        guard let parts = text?.split(separator: "\t", omittingEmptySubsequences: false).map(String.init), parts.count == 8 else { return nil }
        return try? Rate(
            prefix: DialPrefix(parts[0]),
            destination: parts[1],
            numberType: NumberType(rawValue: parts[2])!,
            rateMicrosPerMinute: Int64(parts[3])!,
            connectionFeeMicros: Int64(parts[4])!,
            firstIncrementSeconds: Int64(parts[5])!,
            nextIncrementSeconds: Int64(parts[6])!,
            effectiveFrom: ISO8601.parse(parts[7])!.civilDateAndTime.date
        )
    }

    /// `allowed reason capability rate granted charge fee usageId firstIncrement nextIncrement
    /// validUntil duration replacedCharge finalGrant refusedBy`, tab-separated, empty for none.
    package static func text(_ answer: CallAnswer) -> String {
        let number = { (value: Int64?) -> String in value.map(String.init) ?? "" }
        let fields: [String] = [
            answer.allowed ? "1" : "0", answer.reason?.rawValue ?? "", answer.capability?.rawValue ?? "", number(answer.rateMicrosPerMinute),
            String(answer.grantedSeconds), number(answer.chargeMinor), number(answer.connectionFeeMinor), answer.usageId ?? "",
            number(answer.firstIncrementSeconds), number(answer.nextIncrementSeconds), number(answer.validUntil?.millisecondsSinceEpoch),
            number(answer.durationSeconds), number(answer.replacedChargeMinor), answer.finalGrant ? "1" : "",
            answer.refusedBy?.description ?? "",
        ]
        return fields.joined(separator: "\t")
    }

    package static func answer(_ text: String) -> CallAnswer {
        let parts = text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        // Answers kept before the increments and the deadline were answered have eight fields.
        let later = { (index: Int) in index < parts.count ? Int64(parts[index]) : nil }
        return CallAnswer(
            allowed: parts[0] == "1",
            reason: CallRefusal(rawValue: parts[1]),
            capability: Capability(rawValue: parts[2]),
            rateMicrosPerMinute: Int64(parts[3]),
            grantedSeconds: Int64(parts[4]) ?? 0,
            chargeMinor: Int64(parts[5]),
            connectionFeeMinor: Int64(parts[6]),
            usageId: parts[7].isEmpty ? nil : parts[7],
            firstIncrementSeconds: later(8),
            nextIncrementSeconds: later(9),
            validUntil: later(10).map(Instant.init(millisecondsSinceEpoch:)),
            durationSeconds: later(11),
            replacedChargeMinor: later(12),
            finalGrant: parts.count > 13 && parts[13] == "1",
            refusedBy: parts.count > 14 ? DestinationRule(parts[14]) : nil
        )
    }

    private struct DestinationRulesJSON: Codable {
        var blockedNumberTypes: [String]
        var mode: String
        var destinations: [String]
    }

    private struct CallControlsJSON: Codable {
        var destinations: DestinationRulesJSON
        var userDestinations: [String: DestinationRulesJSON]
        var userSpendLimits: [String: Int64]?
        var unitSpendLimits: [String: Int64]?
        var monthlyRechargeCapMinor: Int64?
        var velocity: VelocityJSON?
    }

    private struct VelocityJSON: Codable {
        var hourlyAmountMinor: Int64?
        var usualMultiple: Int64?
        var usualP95Minor: Int64?
        var usualHours: Int64?
        var usualComputedOn: String?
        var suspendedAt: Int64?
        var suspendedSpentMinor: Int64?
        var suspendedThresholdMinor: Int64?
    }

    package static func json(_ controls: CallControls) -> String {
        encode(
            CallControlsJSON(
                destinations: json(controls.destinations),
                userDestinations: Dictionary(uniqueKeysWithValues: controls.userDestinations.map { ($0.key.rawValue, json($0.value)) }),
                userSpendLimits: Dictionary(uniqueKeysWithValues: controls.userSpendLimits.map { ($0.key.rawValue, $0.value) }),
                unitSpendLimits: controls.unitSpendLimits.isEmpty
                    ? nil : Dictionary(uniqueKeysWithValues: controls.unitSpendLimits.map { ($0.key.rawValue, $0.value) }),
                monthlyRechargeCapMinor: controls.monthlyRechargeCapMinor,
                velocity: json(controls.velocity)
            )
        )
    }

    private static func json(_ alarm: VelocityAlarm) -> VelocityJSON? {
        guard alarm != .off else { return nil }
        return VelocityJSON(
            hourlyAmountMinor: alarm.hourlyAmountMinor,
            usualMultiple: alarm.usualMultiple,
            usualP95Minor: alarm.usual?.p95Minor,
            usualHours: alarm.usual?.hours,
            usualComputedOn: alarm.usual.map { ISO8601.formatDate($0.computedOn.instant()) },
            suspendedAt: alarm.suspension?.since.millisecondsSinceEpoch,
            suspendedSpentMinor: alarm.suspension?.spentMinor,
            suspendedThresholdMinor: alarm.suspension?.thresholdMinor
        )
    }

    /// Written by `json(_:)` from a checked alarm.
    private static func alarm(_ stored: VelocityJSON?) -> VelocityAlarm {
        guard let stored else { return .off }
        var usual: UsualHourlySpend?
        if let p95 = stored.usualP95Minor, let hours = stored.usualHours,
            let day = stored.usualComputedOn.flatMap({ ISO8601.parse($0 + "T00:00:00Z") })
        {
            usual = UsualHourlySpend(p95Minor: p95, hours: hours, computedOn: day.civilDateAndTime.date)
        }
        var suspension: VelocitySuspension?
        if let at = stored.suspendedAt, let spent = stored.suspendedSpentMinor, let threshold = stored.suspendedThresholdMinor {
            suspension = VelocitySuspension(since: Instant(millisecondsSinceEpoch: at), spentMinor: spent, thresholdMinor: threshold)
        }
        return VelocityAlarm(hourlyAmountMinor: stored.hourlyAmountMinor, usualMultiple: stored.usualMultiple, usual: usual, suspension: suspension)
    }

    package static func controls(_ text: String) -> CallControls {
        let stored = decode(CallControlsJSON.self, text)
        return CallControls(
            destinations: rules(stored.destinations),
            userDestinations: Dictionary(uniqueKeysWithValues: stored.userDestinations.map { (UserPrincipalName(stored: $0.key), rules($0.value)) }),
            userSpendLimits: Dictionary(uniqueKeysWithValues: (stored.userSpendLimits ?? [:]).map { (UserPrincipalName(stored: $0.key), $0.value) }),
            unitSpendLimits: Dictionary(uniqueKeysWithValues: (stored.unitSpendLimits ?? [:]).map { (AdministrativeUnit(stored: $0.key), $0.value) }),
            monthlyRechargeCapMinor: stored.monthlyRechargeCapMinor,
            velocity: alarm(stored.velocity)
        )
    }

    private static func json(_ rules: DestinationRules) -> DestinationRulesJSON {
        DestinationRulesJSON(
            blockedNumberTypes: rules.blockedNumberTypes.map(\.rawValue).sorted(),
            mode: rules.mode.rawValue,
            destinations: rules.destinations.map(\.description)
        )
    }

    /// Written by `json(_:)` from rules that were checked, so they check again.
    private static func rules(_ stored: DestinationRulesJSON) -> DestinationRules {
        try! DestinationRules(
            blockedNumberTypes: Set(stored.blockedNumberTypes.map { NumberType(rawValue: $0)! }),
            mode: DestinationRules.Mode(rawValue: stored.mode)!,
            destinations: stored.destinations.map { try CallDestination($0) }
        )
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    /// The text was written by `encode`; anything else is a damaged database.
    private static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            preconditionFailure("Damaged stored value '\(text)': \(error)")
        }
    }
}
