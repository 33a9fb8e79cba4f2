/// Where outgoing calls may go: a guard against toll fraud. Number types that are blocked, then
/// a list of countries and prefixes that is either blocked or the only one allowed. Incoming and
/// emergency calls are never judged (`CallControls.destinationRefusal`).
public struct DestinationRules: Hashable, Sendable {
    public enum Mode: String, Hashable, Sendable, CaseIterable {
        /// Every destination but the ones listed.
        case blockListed
        /// The destinations listed, and no other.
        case allowListedOnly
    }

    public static let maximumDestinations = 500

    public let blockedNumberTypes: Set<NumberType>
    public let mode: Mode
    /// In the order given, without repeats.
    public let destinations: [CallDestination]

    /// Nothing blocked.
    public static let open = DestinationRules()

    private init() {
        blockedNumberTypes = []
        mode = .blockListed
        destinations = []
    }

    public init(blockedNumberTypes: Set<NumberType>, mode: Mode, destinations: [CallDestination]) throws(Refusal) {
        var seen: Set<CallDestination> = []
        let unique = destinations.filter { seen.insert($0).inserted }
        guard unique.count <= Self.maximumDestinations else {
            throw Refusal.invalid(.invalidDestinations, "List at most \(Self.maximumDestinations) countries and prefixes.")
        }
        if mode == .allowListedOnly, unique.isEmpty {
            throw Refusal.invalid(
                .invalidDestinations,
                "An allow list names at least one country or prefix; with none, no outgoing call could be made."
            )
        }
        self.blockedNumberTypes = blockedNumberTypes
        self.mode = mode
        self.destinations = unique
    }

    public var isOpen: Bool { blockedNumberTypes.isEmpty && mode == .blockListed && destinations.isEmpty }

    /// The rule that refuses a call to `number` (of `numberType` by the rate deck, in `country`
    /// by the numbering plan); nil when none does.
    public func refusingRule(number: PhoneNumber, numberType: NumberType?, country: CountryCode?) -> DestinationRule? {
        if let numberType, blockedNumberTypes.contains(numberType) { return .numberType(numberType) }
        let listed = destinations.first { $0.matches(number, country: country) }
        switch mode {
        case .blockListed: return listed.map(DestinationRule.destination)
        case .allowListedOnly: return listed == nil ? .notOnAllowList : nil
        }
    }
}

/// A country (`CU`) or a number prefix (`+882`), as an administrator writes it.
public enum CallDestination: Hashable, Sendable, CustomStringConvertible {
    case country(CountryCode)
    case prefix(DialPrefix)

    public init(_ text: String) throws(Refusal) {
        let trimmed = text.trimmingWhitespace
        if trimmed.hasPrefix("+") {
            self = .prefix(try DialPrefix(trimmed))
        } else if let country = CountryCode(trimmed.uppercased()) {
            self = .country(country)
        } else {
            throw Refusal.invalid(
                .invalidDestinations,
                "'\(trimmed.prefix(40))' is neither a country (two letters, like CU) nor a number prefix ('+' then digits, like +882)."
            )
        }
    }

    public var description: String {
        switch self {
        case let .country(country): country.rawValue
        case let .prefix(prefix): "+\(prefix)"
        }
    }

    func matches(_ number: PhoneNumber, country numberCountry: CountryCode?) -> Bool {
        switch self {
        case let .country(country): numberCountry == country
        case let .prefix(prefix): number.digits.starts(with: prefix.digits)
        }
    }
}

/// What refused a call, as its answer names it: `numberType:premium`, `destination:+882`,
/// `destination:CU` or `allowList`.
public enum DestinationRule: Hashable, Sendable, CustomStringConvertible {
    case numberType(NumberType)
    case destination(CallDestination)
    case notOnAllowList

    public init?(_ text: String) {
        if text == "allowList" {
            self = .notOnAllowList
        } else if text.hasPrefix("numberType:"), let type = NumberType(rawValue: String(text.dropFirst(11))) {
            self = .numberType(type)
        } else if text.hasPrefix("destination:"), let destination = try? CallDestination(String(text.dropFirst(12))) {
            self = .destination(destination)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case let .numberType(type): "numberType:\(type.rawValue)"
        case let .destination(destination): "destination:\(destination)"
        case .notOnAllowList: "allowList"
        }
    }

    /// The refusal in words.
    public var detail: String {
        switch self {
        case let .numberType(type): "Calls to \(type.words) numbers are blocked by the destination rules."
        case let .destination(.country(country)): "Calls to \(country.name) (\(country.rawValue)) are blocked by the destination rules."
        case let .destination(.prefix(prefix)): "Calls to numbers starting +\(prefix) are blocked by the destination rules."
        case .notOnAllowList: "The number dialled is not on the destination rules' allow list."
        }
    }
}

extension NumberType {
    /// As a sentence says it: "premium", "shared-cost".
    public var words: String {
        switch self {
        case .fixed: "fixed-line"
        case .mobile: "mobile"
        case .tollFree: "toll-free"
        case .premium: "premium"
        case .sharedCost: "shared-cost"
        }
    }
}
