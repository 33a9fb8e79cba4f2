/// The licenses of `DOMAIN.md` section 3, by the service-plan names usage records show.
public enum LicenseSku: String, Hashable, Sendable, CaseIterable, Comparable {
    case communicationsCredits = "MCOPSTNPP"
    case audioConferencing = "MCOMEETADD"
    case audioConferencingPayPerMinute = "MCOMEETACPEA"
    case phoneSystem = "MCOEV"
    case domesticCallingPlan = "MCOPSTN1"
    case domesticCallingPlan120 = "MCOPSTN5"
    case domesticCallingPlan240 = "MCOPSTN6"
    case domesticAndInternationalCallingPlan = "MCOPSTN2"
    case payAsYouGoCallingPlan = "MCOPSTN_PAYG"
    case enterpriseE5 = "ENTERPRISEPREMIUM"

    public var displayName: String {
        switch self {
        case .communicationsCredits: "Communications Credits"
        case .audioConferencing: "Audio Conferencing"
        case .audioConferencingPayPerMinute: "Audio Conferencing pay-per-minute"
        case .phoneSystem: "Phone System"
        case .domesticCallingPlan: "Domestic Calling Plan"
        case .domesticCallingPlan120: "Domestic Calling Plan (120 minutes)"
        case .domesticCallingPlan240: "Domestic Calling Plan (240 minutes)"
        case .domesticAndInternationalCallingPlan: "Domestic and International Calling Plan"
        case .payAsYouGoCallingPlan: "Pay-As-You-Go Calling Plan"
        case .enterpriseE5: "Office 365 Enterprise E5"
        }
    }

    /// The SKU named `text` (any case), or a refusal listing the catalog.
    public static func parse(_ text: String) throws(Refusal) -> LicenseSku {
        guard let sku = LicenseSku(rawValue: text.trimmingWhitespace.uppercased()) else {
            throw Refusal(
                .unknownLicense,
                detail: "'\(text)' is not a license of this product; use one of \(allCases.map(\.rawValue).joined(separator: ", "))."
            )
        }
        return sku
    }

    public static func < (lhs: LicenseSku, rhs: LicenseSku) -> Bool { lhs.rawValue < rhs.rawValue }

    static let callingPlans: Set<LicenseSku> = [
        .domesticCallingPlan, .domesticCallingPlan120, .domesticCallingPlan240,
        .domesticAndInternationalCallingPlan, .payAsYouGoCallingPlan,
    ]
}

/// One user's license change; `LicenseRules` judges it.
public struct LicenseChange: Hashable, Sendable {
    public let add: Set<LicenseSku>
    public let remove: Set<LicenseSku>

    public init(add: Set<LicenseSku> = [], remove: Set<LicenseSku> = []) {
        self.add = add
        self.remove = remove
    }
}

/// The prerequisite rule of the Communications Credits license (`DOMAIN.md` section 3).
public enum LicenseRules {
    /// The licenses a user holds after `change`, or why the change is refused.
    /// `creditsLicenseAvailable`: the tenant has funded its credits at least once, or is billed
    /// after use, which is what makes the Communications Credits license assignable.
    public static func apply(
        _ change: LicenseChange,
        to current: Set<LicenseSku>,
        creditsLicenseAvailable: Bool
    ) -> Result<Set<LicenseSku>, Refusal> {
        if let both = change.add.intersection(change.remove).sorted().first {
            return .failure(Refusal.invalid(.invalidLicenseChange, "\(both.rawValue) cannot be both added and removed in one change."))
        }
        if change.add.contains(.communicationsCredits), !current.contains(.communicationsCredits), !creditsLicenseAvailable {
            return .failure(
                Refusal(
                    .licenseNotAvailable,
                    detail: "The Communications Credits license becomes available once the tenant has funded its credits balance.",
                    remedy: "Buy Communications Credits first (Billing > Purchase services), then assign the license."
                )
            )
        }
        let result = current.union(change.add).subtracting(change.remove)
        guard !result.contains(.communicationsCredits) || hasCreditsPrerequisite(result) else {
            let removing = !change.remove.isDisjoint(with: current) && hasCreditsPrerequisite(current)
            return .failure(
                Refusal(
                    .licensePrerequisiteMissing,
                    detail: removing
                        ? "This change would leave Communications Credits without its prerequisite: Audio Conferencing, or Phone System with a calling plan."
                        : "Communications Credits can be assigned only to a user who holds Audio Conferencing, or Phone System with a calling plan (Enterprise E5 includes both Audio Conferencing and Phone System).",
                    remedy: removing
                        ? "Remove Communications Credits (MCOPSTNPP) in the same change, or keep the prerequisite."
                        : "Assign Audio Conferencing (MCOMEETADD), or Phone System (MCOEV) and a calling plan, first or in the same change."
                )
            )
        }
        return .success(result)
    }

    static func hasCreditsPrerequisite(_ licenses: Set<LicenseSku>) -> Bool {
        let audioConferencing = licenses.contains(.audioConferencing) || licenses.contains(.enterpriseE5)
        let phoneSystem = licenses.contains(.phoneSystem) || licenses.contains(.enterpriseE5)
        return audioConferencing || (phoneSystem && !licenses.isDisjoint(with: LicenseSku.callingPlans))
    }
}
