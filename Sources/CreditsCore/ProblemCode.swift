/// Every stable code a refusal or an error answer carries, with the kind of refusal (which the
/// interfaces map to their status: HTTP 404, 409...), a sentence saying when it comes, and what
/// to do about it. Programs match on these names; the API's reference table and the `code` of
/// its problems are rendered from this list (`commscredits problems`).
public enum ProblemCode: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case invalid
    case invalidRequest
    case invalidLines
    case malformedFile
    case unreadableFile
    case bodyTooLarge
    case batchTooLarge
    case httpError
    case notFound
    case internalError
    case unauthenticated
    case signInFailed
    case tooManySignIns
    case organizationRequired
    case notAnAdministrator
    case noSession
    case csrfTokenMissing
    case forbidden
    case grantBeyondOwnRights
    case unknownToken
    case rateLimited
    case overloaded
    case idempotencyKeyMissing
    case idempotencyConflict
    case requestInProgress
    case invalidIdempotencyKey
    case unknownTenant
    case tenantExists
    case unknownUser
    case userExists
    case duplicateUser
    case unknownRole
    case unknownLicense
    case licenseNotAvailable
    case licensePrerequisiteMissing
    case unknownNumber
    case duplicateNumber
    case numberHeldElsewhere
    case invalidNumber
    case invalidPrefix
    case invalidSipAddress
    case purchaseNotAllowedPostUsage
    case purchaseNotAllowedCsp
    case purchaseNotAllowedRegionConflict
    case unknownAgreement
    case cardNotAccepted
    case unknownCardToken
    case paymentCardExpired
    case paymentDeclined
    case noPaymentMethod
    case paymentGatewayUnavailable
    case unknownInvoice
    case invalidAmount
    case insufficientBalance
    case holdAlreadyExists
    case unknownHold
    case holdNotOpen
    case holdExpiryNotInFuture
    case refundExceedsFreeFunds
    case holdNotSettled
    case creditBackExceedsSpent
    case unknownAccount
    case currencyMismatch
    case unknownSession
    case sessionExists
    case sessionClosed
    case sessionAnswered
    case requestConflict
    case requestOutOfOrder
    case lateEndWindowClosed
    case lateEndUncorrectable
    case startTimeOutOfRange
    case endTimeOutOfRange
    case endBeforeStart
    case usedBeyondGrant
    case unknownDestination
    case unknownRateDeck
    case duplicateRate
    case usageConflict
    case debtLimitReached
    case unknownWebhook
    case tooManyWebhooks
    case unknownMessage
    case clockCannotGoBack
    // A field of the request, named by the code, is not valid: the detail says why.
    case invalidAdministrativeUnit
    case invalidAdministrativeUnits
    case invalidAgreements
    case invalidBlockTypes
    case invalidBlockedNumberTypes
    case invalidCallId
    case invalidCallType
    case invalidCallerNumber
    case invalidCallerUri
    case invalidCardExpiry
    case invalidCardNumber
    case invalidChannel
    case invalidCommerceModel
    case invalidConferenceId
    case invalidConnectionFeeMicros
    case invalidCountry
    case invalidCoverDays
    case invalidCurrency
    case invalidDestination
    case invalidDestinations
    case invalidDisplayName
    case invalidDurationSeconds
    case invalidEffectiveFrom
    case invalidEndTime
    case invalidExpiresInDays
    case invalidFirstIncrementSeconds
    case invalidFormat
    case invalidFrom
    case invalidHolder
    case invalidHourly
    case invalidHourlyAmountMinor
    case invalidLicenseChange
    case invalidMessageUnits
    case invalidMode
    case invalidMonthly
    case invalidMonthlyCapMinor
    case invalidMonthlyLimit
    case invalidMonthlyLimitMinor
    case invalidMultiple
    case invalidName
    case invalidNextIncrementSeconds
    case invalidNumberType
    case invalidPassword
    case invalidPaymentMethod
    case invalidPurchaseOrder
    case invalidRange
    case invalidRechargeAmount
    case invalidTriggerAmount
    case invalidRateMicrosPerMinute
    case invalidResourceAccount
    case invalidScopes
    case invalidSecurityCode
    case invalidSessionId
    case invalidStartTime
    case invalidTenant
    case invalidTenantId
    case invalidTo
    case invalidUpn
    case invalidUrl
    case invalidUsageLocation
    case invalidUsageRetentionDays
    case invalidUsedSeconds
    case invalidUserObjectId
    case invalidUsualMultiple

    public var description: String { rawValue }

    /// What kind of refusal the code is.
    public var kind: Refusal.Kind { entry.kind }
    /// When the code comes, in a sentence.
    public var meaning: String { entry.meaning }
    /// What to do about it.
    public var remedy: String { entry.remedy }

    /// The field an `invalid…` code names, as the request spells it ("monthlyLimitMinor").
    public var field: String {
        let name = rawValue.dropFirst("invalid".count)
        return name.prefix(1).lowercased() + name.dropFirst()
    }

    private var entry: (kind: Refusal.Kind, meaning: String, remedy: String) {
        switch self {
        case .invalid: (.invalid, "A value of the request is not valid.", "Correct the value the detail names and send the request again.")
        case .invalidRequest:
            (
                .badRequest, "The body is not the JSON the operation takes, or a parameter is missing.",
                "Send the fields the OpenAPI document gives for the operation."
            )
        case .invalidLines:
            (
                .invalid, "Lines of an uploaded file are wrong; nothing was changed.",
                "Correct the lines listed in `lines` and upload the whole file again."
            )
        case .malformedFile:
            (
                .invalid, "A file is not the CSV it should be (a header or a field is missing).",
                "Start the file with the header row the operation documents."
            )
        case .unreadableFile: (.invalid, "The command line cannot read the file it was given.", "Check the path and the file's permissions.")
        case .bodyTooLarge: (.tooLarge, "The body is larger than the operation accepts.", "Send less at once, for example a file in several parts.")
        case .batchTooLarge: (.tooLarge, "More records or commands at once than one request may carry.", "Split the batch into smaller requests.")
        case .httpError: (.http, "The request could not be served as sent (the status says why).", "Check the method, the path and the headers.")
        case .notFound: (.notFound, "Nothing is at this path.", "Check the path against the OpenAPI document.")
        case .internalError:
            (
                .internal, "Something went wrong inside the service; nothing was changed.",
                "Try again; if it persists, give the operator the X-Request-Id."
            )
        case .unauthenticated:
            (.unauthenticated, "No credential, or one that is wrong, expired or revoked.", "Send a valid bearer token or sign in again.")
        case .signInFailed: (.unauthenticated, "The sign-in name or the password is wrong.", "Check both and try again.")
        case .tooManySignIns:
            (.throttled, "Too many failed sign-ins with one name or from one address.", "Wait for Retry-After seconds, then sign in again.")
        case .organizationRequired: (.conflict, "The name and password sign in to more than one organization.", "Send tenantId with the sign-in.")
        case .notAnAdministrator: (.notAllowed, "The user has no administrator role that may sign in here.", "Ask a Global Administrator for a role.")
        case .noSession: (.notFound, "There is no signed-in session.", "Sign in first.")
        case .csrfTokenMissing:
            (.notAllowed, "A change from a signed-in session came without its CSRF token.", "Send the session's csrfToken in X-CSRF-Token.")
        case .forbidden:
            (.notAllowed, "The credential lacks the role or scope the operation needs.", "Use a credential with the permission the detail names.")
        case .grantBeyondOwnRights:
            (
                .notAllowed, "A token may not be given scopes its maker does not have.",
                "Ask for fewer scopes, or have a Global Administrator make the token."
            )
        case .unknownToken: (.notFound, "No such token in this organization.", "List the tokens to find its id.")
        case .rateLimited: (.throttled, "Too many requests from this credential.", "Wait for Retry-After seconds.")
        case .overloaded:
            (
                .overloaded, "Too many call and usage requests are waiting; this one was not started.",
                "Send it again after Retry-After seconds, with the same ids."
            )
        case .idempotencyKeyMissing:
            (
                .badRequest, "The operation needs an Idempotency-Key header.",
                "Send a new key with each new request, and the same key with its retries."
            )
        case .idempotencyConflict: (.conflict, "The Idempotency-Key was used before for another request.", "Use a new key for a new request.")
        case .requestInProgress:
            (.conflict, "A request with this Idempotency-Key is still running.", "Retry in a moment: the first answer is then given again.")
        case .invalidIdempotencyKey:
            (
                .invalid, "The Idempotency-Key is empty, too long, or has control characters.",
                "Send a key of visible characters that does not start with '~'."
            )
        case .unknownTenant: (.notFound, "No such tenant, or not one the credential may reach.", "Check the tenant id.")
        case .tenantExists: (.conflict, "A tenant with this id exists already.", "Choose another id.")
        case .unknownUser: (.notFound, "No such user in this tenant.", "Add the user first, or check the sign-in name.")
        case .userExists: (.conflict, "A user with this sign-in name exists already.", "Change the existing user instead.")
        case .duplicateUser: (.conflict, "A file names the same user twice.", "Keep one line per user.")
        case .unknownRole: (.invalid, "No such role.", "Use one of the roles the OpenAPI document lists.")
        case .unknownLicense: (.invalid, "No such license.", "Use a license code the OpenAPI document lists.")
        case .licenseNotAvailable: (.notAllowed, "The tenant may not assign this license.", "Buy the subscription that carries it first.")
        case .licensePrerequisiteMissing:
            (.notAllowed, "The license needs another the user does not have.", "Assign the prerequisite the detail names first.")
        case .unknownNumber:
            (.notFound, "No organization you may reach has this number or address.", "Assign the number to a user or resource account first.")
        case .duplicateNumber: (.conflict, "A file names the same number twice.", "Keep one line per number.")
        case .numberHeldElsewhere: (.conflict, "The number or address belongs to another user or organization.", "Release it there first.")
        case .invalidNumber: (.invalid, "Not a phone number in E.164 form.", "Write it as + then up to 15 digits, such as +14255550100.")
        case .invalidPrefix: (.invalid, "Not a dialling prefix.", "Write it as + then digits, such as +4420.")
        case .invalidSipAddress: (.invalid, "Not a SIP address.", "Write it as sip:user@host.")
        case .purchaseNotAllowedPostUsage:
            (
                .notAllowed, "NCE and MCA customers cannot buy credits: their calls are billed after use.",
                "Turn auto-recharge off; calls are then invoiced monthly."
            )
        case .purchaseNotAllowedCsp:
            (.notAllowed, "Customers of a Cloud Solution Provider buy through their partner.", "Ask the partner to buy the credits.")
        case .purchaseNotAllowedRegionConflict:
            (
                .notAllowed, "The agreement is billed in another country than the tenant.",
                "Use a card, or an agreement billed in the tenant's country."
            )
        case .unknownAgreement: (.invalid, "The tenant has no such Enterprise Agreement.", "Use one of the tenant's agreements.")
        case .cardNotAccepted: (.invalid, "The payment provider does not accept this card.", "Use another card.")
        case .unknownCardToken: (.invalid, "The payment provider does not know this card token.", "Tokenize the card again.")
        case .paymentCardExpired: (.paymentFailed, "The card has expired; nothing was charged.", "Use another card or update the payment method.")
        case .paymentDeclined: (.paymentFailed, "The card was declined; nothing was charged.", "Use another card or contact the card's issuer.")
        case .noPaymentMethod:
            (.paymentFailed, "There is no payment method on file.", "Buy once with a card or an agreement, which keeps it on file.")
        case .paymentGatewayUnavailable:
            (
                .unavailable, "The payment provider did not answer; nothing was added.",
                "Try again with a new Idempotency-Key; a purchase is never charged twice."
            )
        case .unknownInvoice: (.notFound, "No such invoice in this tenant.", "List the invoices to find its id.")
        case .invalidAmount: (.invalid, "An amount is outside what the operation allows.", "Send an amount within the bounds the detail gives.")
        case .insufficientBalance:
            (.paymentFailed, "The credits' available balance does not cover the amount.", "Buy credits, or turn auto-recharge on.")
        case .holdAlreadyExists: (.conflict, "A hold with this id exists already.", "Use the hold that exists.")
        case .unknownHold: (.notFound, "No such hold.", "Check the hold's id.")
        case .holdNotOpen: (.conflict, "The hold was settled, released or expired already.", "Nothing to do: the hold took its course.")
        case .holdExpiryNotInFuture: (.invalid, "A hold must expire in the future.", "Give a later expiry.")
        case .refundExceedsFreeFunds: (.invalid, "A lot has less left than the refund asks for.", "Refund at most what the lot has left.")
        case .holdNotSettled: (.conflict, "A credit back needs a settled hold.", "Settle the hold first.")
        case .creditBackExceedsSpent: (.conflict, "A credit back may not give more than the hold spent.", "Give back at most what was spent.")
        case .unknownAccount: (.notFound, "The tenant has no credits account.", "Create the tenant first.")
        case .currencyMismatch: (.invalid, "The account exists in another currency.", "Use the account's currency.")
        case .unknownSession: (.notFound, "No call session with this id was started in this tenant.", "Start the session first.")
        case .sessionExists: (.conflict, "The call session was started already with another request.", "Use a new session id for a new call.")
        case .sessionClosed: (.conflict, "The call session ended; it takes no more requests.", "Start a new session for a new call.")
        case .sessionAnswered: (.conflict, "A call that was answered cannot be cancelled.", "End it instead.")
        case .requestConflict: (.conflict, "The request number was answered already for other content.", "Send the next request number.")
        case .requestOutOfOrder: (.conflict, "A request number is lower than one already answered.", "Number a session's requests in order.")
        case .lateEndWindowClosed:
            (.conflict, "A call that timed out may be ended late only within the correction window.", "Upload the record instead.")
        case .lateEndUncorrectable: (.conflict, "A late end could not correct the charge made at the time-out.", "Upload the record instead.")
        case .startTimeOutOfRange: (.invalid, "The start time is too far from now.", "Send the time the call started, from a synchronized clock.")
        case .endTimeOutOfRange: (.invalid, "The end time is too far from now.", "Send the time the call ended, from a synchronized clock.")
        case .endBeforeStart: (.invalid, "The end comes before the start.", "Check both times.")
        case .usedBeyondGrant:
            (.invalid, "The seconds used pass what was granted by far.", "Report what was used; stop the call when the grant runs out.")
        case .unknownDestination: (.notFound, "No rate for this number.", "Check the number, or add its prefix to the rate deck.")
        case .unknownRateDeck: (.notFound, "No rate deck in this currency.", "Upload the deck first.")
        case .duplicateRate: (.conflict, "A rate deck names the same prefix and date twice.", "Keep one line per prefix and date.")
        case .usageConflict: (.conflict, "Another record was charged already under this usage id.", "Send the same record, or use a new usage id.")
        case .debtLimitReached:
            (.notAllowed, "The uploaded records would take the debt beyond its bound.", "Check the rate deck and the records' durations.")
        case .unknownWebhook: (.notFound, "The tenant has no such webhook.", "List the webhooks to find its id.")
        case .tooManyWebhooks: (.conflict, "The tenant has as many webhooks as it may.", "Remove one first.")
        case .unknownMessage: (.notFound, "No such message in the local mailbox.", "Open the mailbox to find it.")
        case .clockCannotGoBack: (.conflict, "The test clock only moves forward.", "Give a later time.")
        case .invalidAdministrativeUnit, .invalidAdministrativeUnits, .invalidAgreements, .invalidBlockTypes, .invalidBlockedNumberTypes,
            .invalidCallId, .invalidCallType, .invalidCallerNumber, .invalidCallerUri, .invalidCardExpiry, .invalidCardNumber, .invalidChannel,
            .invalidCommerceModel, .invalidConferenceId, .invalidConnectionFeeMicros, .invalidCountry, .invalidCoverDays, .invalidCurrency,
            .invalidDestination, .invalidDestinations, .invalidDisplayName, .invalidDurationSeconds, .invalidEffectiveFrom, .invalidEndTime,
            .invalidExpiresInDays, .invalidFirstIncrementSeconds, .invalidFormat, .invalidFrom, .invalidHolder, .invalidHourly,
            .invalidHourlyAmountMinor, .invalidLicenseChange, .invalidMessageUnits, .invalidMode, .invalidMonthly, .invalidMonthlyCapMinor,
            .invalidMonthlyLimit, .invalidMonthlyLimitMinor, .invalidMultiple, .invalidName, .invalidNextIncrementSeconds, .invalidNumberType,
            .invalidPassword, .invalidPaymentMethod, .invalidPurchaseOrder, .invalidRange, .invalidRechargeAmount, .invalidTriggerAmount,
            .invalidRateMicrosPerMinute, .invalidResourceAccount, .invalidScopes, .invalidSecurityCode, .invalidSessionId, .invalidStartTime,
            .invalidTenant, .invalidTenantId, .invalidTo, .invalidUpn, .invalidUrl, .invalidUsageLocation, .invalidUsageRetentionDays,
            .invalidUsedSeconds, .invalidUserObjectId, .invalidUsualMultiple:
            (.invalid, "`\(field)` is not valid: the detail says why.", "Correct `\(field)` and send the request again.")
        }
    }
}
