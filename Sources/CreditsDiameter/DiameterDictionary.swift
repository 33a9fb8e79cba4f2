/// The commands, AVPs and result codes the server speaks: the base protocol (RFC 6733) and
/// credit control (RFC 8506, application 4), with the 3GPP AVPs that carry the called number.
enum DiameterCommand {
    static let capabilitiesExchange: UInt32 = 257
    static let deviceWatchdog: UInt32 = 280
    static let disconnectPeer: UInt32 = 282
    static let creditControl: UInt32 = 272
    static let reAuth: UInt32 = 258
}

enum AVPCode {
    static let calledStationId: UInt32 = 30
    static let eventTimestamp: UInt32 = 55
    static let hostIPAddress: UInt32 = 257
    static let authApplicationId: UInt32 = 258
    static let acctApplicationId: UInt32 = 259
    static let vendorSpecificApplicationId: UInt32 = 260
    static let sessionId: UInt32 = 263
    static let originHost: UInt32 = 264
    static let supportedVendorId: UInt32 = 265
    static let vendorId: UInt32 = 266
    static let firmwareRevision: UInt32 = 267
    static let resultCode: UInt32 = 268
    static let productName: UInt32 = 269
    static let disconnectCause: UInt32 = 273
    static let originStateId: UInt32 = 278
    static let failedAVP: UInt32 = 279
    static let errorMessage: UInt32 = 281
    static let routeRecord: UInt32 = 282
    static let destinationRealm: UInt32 = 283
    static let proxyInfo: UInt32 = 284
    static let destinationHost: UInt32 = 293
    static let reAuthRequestType: UInt32 = 285
    static let originRealm: UInt32 = 296
    static let inbandSecurityId: UInt32 = 299
    static let ccRequestNumber: UInt32 = 415
    static let ccRequestType: UInt32 = 416
    static let ccTime: UInt32 = 420
    static let finalUnitIndication: UInt32 = 430
    static let grantedServiceUnit: UInt32 = 431
    static let ratingGroup: UInt32 = 432
    static let requestedAction: UInt32 = 436
    static let requestedServiceUnit: UInt32 = 437
    static let serviceIdentifier: UInt32 = 439
    static let subscriptionId: UInt32 = 443
    static let subscriptionIdData: UInt32 = 444
    static let usedServiceUnit: UInt32 = 446
    static let validityTime: UInt32 = 448
    static let finalUnitAction: UInt32 = 449
    static let subscriptionIdType: UInt32 = 450
    static let terminationCause: UInt32 = 295
    static let multipleServicesIndicator: UInt32 = 455
    static let multipleServicesCreditControl: UInt32 = 456
    static let userEquipmentInfo: UInt32 = 458
    static let serviceContextId: UInt32 = 461
    static let userName: UInt32 = 1

    /// 3GPP (vendor 10415): Service-Information > IMS-Information > Called-Party-Address.
    static let vendor3GPP: UInt32 = 10415
    static let serviceInformation: UInt32 = 873
    static let imsInformation: UInt32 = 876
    static let calledPartyAddress: UInt32 = 832
    static let callingPartyAddress: UInt32 = 831

    /// What the server understands; any other AVP with the M bit is refused (5001), per RFC 6733.
    static let known: Set<Key> = Set(
        [
            calledStationId, eventTimestamp, hostIPAddress, authApplicationId, acctApplicationId, vendorSpecificApplicationId, sessionId,
            originHost, supportedVendorId, vendorId, firmwareRevision, resultCode, productName, disconnectCause, originStateId, failedAVP,
            errorMessage, routeRecord, destinationRealm, proxyInfo, destinationHost, originRealm, inbandSecurityId, ccRequestNumber,
            ccRequestType, ccTime, finalUnitIndication, grantedServiceUnit, ratingGroup, requestedAction, requestedServiceUnit,
            serviceIdentifier, subscriptionId, subscriptionIdData, usedServiceUnit, validityTime, finalUnitAction, subscriptionIdType,
            terminationCause, multipleServicesIndicator, multipleServicesCreditControl, userEquipmentInfo, serviceContextId, userName,
        ].map { Key(code: $0, vendor: 0) }
            + [serviceInformation, imsInformation, calledPartyAddress, callingPartyAddress].map { Key(code: $0, vendor: vendor3GPP) }
    )

    struct Key: Hashable {
        let code: UInt32
        let vendor: UInt32
    }
}

/// The Result-Code values the server answers with (RFC 6733 section 7.1, RFC 8506 section 9).
enum DiameterResultCode: UInt32, Sendable {
    case success = 2001
    case commandUnsupported = 3001
    case applicationUnsupported = 3007
    case invalidHeaderBits = 3008
    case invalidAVPBits = 3009
    case unknownPeer = 3010
    /// The end user may not use the service (no license, no calling plan, pool spent).
    case endUserServiceDenied = 4010
    /// The service may go on without credit control (an emergency call).
    case creditControlNotApplicable = 4011
    /// The balance is used up.
    case creditLimitReached = 4012
    case avpUnsupported = 5001
    case unknownSessionId = 5002
    case invalidAVPValue = 5004
    case missingAVP = 5005
    case unableToComply = 5012
    case noCommonApplication = 5010
    case unsupportedVersion = 5011
    case invalidAVPLength = 5014
    /// No user or tenant holds the Subscription-Id.
    case userUnknown = 5030
    /// The number called has no rate.
    case ratingFailed = 5031

    /// Whether the code is a protocol error, answered with the E bit (RFC 6733 section 7.1.3).
    var isProtocolError: Bool { (3000..<4000).contains(rawValue) }
}
