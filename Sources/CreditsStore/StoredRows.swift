package import CreditsCore

/// The rows that every database writes alike, column by column: one layout for SQLite and
/// PostgreSQL.
package enum StoredRows {
    package static let usageRecordColumns = """
        tenant_id, usage_id, fingerprint, call_id, conference_id, user_location, user_object_id, upn, user_display_name, caller, call_type, \
        number_type, domestic, destination_name, destination_number, external_country, start_time, end_time, duration_seconds, billed_seconds, \
        message_units, fee_minor, charge_minor, currency, capability, pool, pool_units, source, administrative_units, unlicensed_use
        """

    /// `usageRecordColumns`, in order.
    package static func values(of record: UsageRecord, fingerprint: String, tenant: TenantId) -> [StoredValue] {
        [
            .text(tenant.rawValue), .text(record.usageId), .text(fingerprint), .text(record.callId), .optional(record.conferenceId),
            .optional(record.userLocation?.rawValue), .optional(record.userObjectId), .optional(record.upn?.rawValue),
            .optional(record.userDisplayName), .text(record.callerNumber.description), .text(record.callType.rawValue),
            .optional(record.numberType?.rawValue), .integer(record.isDomestic ? 1 : 0), .optional(record.destinationName),
            .text(record.destinationNumber.description), .optional(record.externalCountry?.rawValue),
            .integer(record.startTime.millisecondsSinceEpoch), .integer(record.endTime.millisecondsSinceEpoch),
            .integer(record.durationSeconds), .integer(record.billedSeconds), .integer(record.messageUnits),
            .integer(record.connectionFeeMinor), .integer(record.chargeMinor), .text(record.currency.code),
            .text(record.capability.rawValue), .optional(record.pool?.description), .integer(record.poolUnits),
            .text(record.source.rawValue), .optional(record.administrativeUnits), .integer(record.unlicensedUse ? 1 : 0),
        ]
    }

    package static let callSessionColumns = """
        tenant_id, session_id, call_type, upn, display_name, usage_location, caller, callee, start_time, start_request, rate, capability, \
        pool, pool_units_per_second, state, granted_seconds, used_seconds, held_minor, expires_at, last_request, answered_at, call_id, \
        administrative_units
        """

    /// `callSessionColumns`, in order.
    package static func values(of session: CallSession, tenant: TenantId) -> [StoredValue] {
        let user = session.facts.user
        return [
            .text(tenant.rawValue), .text(session.id.rawValue), .text(session.start.callType.rawValue), .optional(user?.upn.rawValue),
            .optional(user?.displayName), .optional(user?.usageLocation.rawValue), .text(session.start.caller.description),
            .text(session.start.callee.description), .integer(session.start.startTime.millisecondsSinceEpoch),
            .integer(session.start.requestNumber), .optional(StoredValues.text(session.facts.rate)), .optional(session.capability?.rawValue),
            .optional(session.pool?.key.description), .integer(session.pool?.unitsPerSecond ?? 0), .text(session.state.rawValue),
            .integer(session.grantedSeconds), .integer(session.usedSeconds), .integer(session.heldMinor),
            .integer(session.expiresAt.millisecondsSinceEpoch), .integer(session.lastRequestNumber),
            .optional(session.answeredAt?.millisecondsSinceEpoch), .optional(session.start.callId),
            .optional(user.flatMap { $0.administrativeUnits.isEmpty ? nil : StoredValues.json($0.administrativeUnits.sorted().map(\.rawValue)) }),
        ]
    }

    /// The table and key column that hold the monthly spend of users, or of units.
    package static func spendTable(ofUnits units: Bool) -> (table: String, column: String) {
        units ? ("unit_spend", "unit") : ("user_spend", "upn")
    }

    /// The spender a row of `spendTable(ofUnits:)` names.
    package static func spender(named name: String, ofUnits units: Bool) -> MonthlySpend.Spender {
        units ? .unit(AdministrativeUnit(stored: name)) : .user(UserPrincipalName(stored: name))
    }

    /// The table and key column that hold a monthly spend, and its key there.
    package static func spendRow(_ slot: MonthlySpend.Slot) -> (table: String, column: String, key: String) {
        let (table, column) = spendTable(ofUnits: slot.upn == nil)
        return (table, column, slot.spender.name)
    }

    /// How many columns a list names.
    package static func count(_ columns: String) -> Int { columns.split(separator: ",").count }

    /// `?, ?, …`, one for each column of the list.
    package static func placeholders(_ columns: String) -> String {
        Array(repeating: "?", count: count(columns)).joined(separator: ", ")
    }
}
