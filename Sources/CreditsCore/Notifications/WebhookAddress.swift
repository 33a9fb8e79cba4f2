/// Where a tenant may send its notifications (our rule, against server-side request forgery):
/// `https` only (plain `http` only where the operator allows it), a host written plainly (a name,
/// a dotted IPv4 address or a bracketed IPv6 one; no user name, no number in another base), and
/// no address that is private, loopback, link-local, multicast or reserved, neither as written
/// nor, when the notification is sent, as the name resolves then.
public struct WebhookAddress: Hashable, Sendable {
    /// What the operator allows beyond the rule: for a service whose receivers run beside it.
    public struct Policy: Hashable, Sendable {
        public var allowsPlainHTTP: Bool
        public var allowsPrivateAddresses: Bool

        public init(allowsPlainHTTP: Bool = false, allowsPrivateAddresses: Bool = false) {
            self.allowsPlainHTTP = allowsPlainHTTP
            self.allowsPrivateAddresses = allowsPrivateAddresses
        }
    }

    public let scheme: String
    /// The name, or the address as written, without brackets.
    public let host: String
    public let port: Int?
    /// The address's bytes (4 or 16) when the host is written as one.
    public let literal: [UInt8]?

    public static let maximumLength = 2_048

    /// The address of `text`, or a refusal saying what the rule wants.
    public static func parse(_ text: String, policy: Policy) throws(Refusal) -> WebhookAddress {
        let refusal = Refusal.invalid(
            .invalidUrl,
            "The webhook URL must be an https:// address with a host name or public IP address, at most \(maximumLength) characters, "
                + "with no user name and no private, loopback or link-local address."
        )
        guard text.utf8.count <= maximumLength, !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F || $0 == "\\" }) else {
            throw refusal
        }
        let lowercased = text.lowercased()
        let schemes = policy.allowsPlainHTTP ? ["https", "http"] : ["https"]
        guard let scheme = schemes.first(where: { lowercased.hasPrefix($0 + "://") }) else { throw refusal }
        let rest = lowercased.dropFirst(scheme.count + 3)
        let authority = rest.prefix { !"/?#".contains($0) }
        guard !authority.isEmpty, !authority.contains("@") else { throw refusal }
        var host = Substring(authority)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw refusal }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Self.port(after.dropFirst()) else { throw refusal }
                port = number
            }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Self.port(host[host.index(after: colon)...]) else { throw refusal }
            port = number
            host = host[..<colon]
        }
        let literal: [UInt8]?
        if authority.hasPrefix("[") {
            guard let bytes = IPAddress.parseIPv6(host) else { throw refusal }
            literal = bytes
        } else if host.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) || host.hasPrefix("0x") {
            // Digits and dots are a dotted IPv4 address or nothing: 2130706433 and 0177.0.0.1 are refused.
            guard let bytes = IPAddress.parseIPv4(host) else { throw refusal }
            literal = bytes
        } else {
            guard Self.isHostName(host) else { throw refusal }
            literal = nil
        }
        if !policy.allowsPrivateAddresses {
            if let literal, !IPAddress.isPublic(literal) { throw refusal }
            if literal == nil, host == "localhost" || host.hasSuffix(".localhost") || host.hasSuffix(".local") || host.hasSuffix(".internal") {
                throw refusal
            }
        }
        return WebhookAddress(scheme: scheme, host: String(host), port: port, literal: literal)
    }

    private static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(text), (1...65_535).contains(number)
        else {
            return nil
        }
        return number
    }

    /// Labels of letters, digits and hyphens, not starting or ending with a hyphen, with at least
    /// one letter somewhere (so that it cannot be taken for a number).
    private static func isHostName(_ host: Substring) -> Bool {
        let name = host.hasSuffix(".") ? host.dropLast() : host
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return name.utf8.count <= 253 && name.contains(where: \.isLetter)
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
    }
}

/// IP addresses as bytes, and which of them are reachable on the public internet.
public enum IPAddress {
    /// Four decimal numbers 0 to 255, without leading zeros.
    public static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), part == "0" || !part.hasPrefix("0"),
                let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// Eight groups of up to four hex digits, `::` standing for one run of zero groups, and an
    /// IPv4 address allowed as the last two groups.
    public static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.count <= 45, !text.contains("%") else { return nil }
        let gaps = text.ranges(of: "::")
        guard gaps.count <= 1 else { return nil }
        let halves = gaps.first.map { [text[..<$0.lowerBound], text[$0.upperBound...]] } ?? [text]
        func groups(_ part: Substring) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = parseIPv4(piece) {
                    result += [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else { return nil }
        let all: [UInt16]
        if halves.count == 2 {
            guard head.count + tail.count <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// Whether `bytes` (4 or 16) is a global unicast address: not unspecified, loopback,
    /// private, shared, link-local, documentation, benchmarking, multicast or reserved. An IPv6
    /// address that carries an IPv4 one (mapped, NAT64) is judged by the IPv4 one.
    public static func isPublic(_ bytes: [UInt8]) -> Bool {
        switch bytes.count {
        case 4: return isPublicIPv4(bytes)
        case 16: return isPublicIPv6(bytes)
        default: return false
        }
    }

    private static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        let blocked: [(prefix: [UInt8], bits: Int)] = [
            ([0, 0, 0, 0], 8), ([10, 0, 0, 0], 8), ([100, 64, 0, 0], 10), ([127, 0, 0, 0], 8), ([169, 254, 0, 0], 16),
            ([172, 16, 0, 0], 12), ([192, 0, 0, 0], 24), ([192, 0, 2, 0], 24), ([192, 88, 99, 0], 24), ([192, 168, 0, 0], 16),
            ([198, 18, 0, 0], 15), ([198, 51, 100, 0], 24), ([203, 0, 113, 0], 24), ([224, 0, 0, 0], 4), ([240, 0, 0, 0], 4),
        ]
        return !blocked.contains { matches(b, $0.prefix, bits: $0.bits) }
    }

    private static func isPublicIPv6(_ b: [UInt8]) -> Bool {
        let embedsIPv4: [(prefix: [UInt8], bits: Int)] = [
            (Array(repeating: 0, count: 10) + [0xFF, 0xFF], 96), ([0, 0x64, 0xFF, 0x9B] + Array(repeating: 0, count: 8), 96),
        ]
        if embedsIPv4.contains(where: { matches(b, $0.prefix, bits: $0.bits) }) { return isPublicIPv4(Array(b[12...])) }
        let blocked: [(prefix: [UInt8], bits: Int)] = [
            (Array(repeating: 0, count: 16), 96),  // unspecified, loopback and the old IPv4-compatible range
            ([0x01, 0x00] + Array(repeating: 0, count: 6), 64),  // discard
            ([0x20, 0x01, 0x0D, 0xB8], 32),  // documentation
            ([0x20, 0x01, 0x00, 0x00], 23),  // protocol assignments (Teredo, benchmarking, ORCHID)
            ([0x20, 0x02], 16),  // 6to4, which carries any IPv4 address
            ([0xFC], 7), ([0xFE, 0x80], 10), ([0xFE, 0xC0], 10), ([0xFF], 8),
        ]
        return !blocked.contains { matches(b, $0.prefix, bits: $0.bits) }
    }

    private static func matches(_ bytes: [UInt8], _ prefix: [UInt8], bits: Int) -> Bool {
        for bit in 0..<bits {
            let byte = bit / 8
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            let wanted = byte < prefix.count ? prefix[byte] & mask : 0
            if bytes[byte] & mask != wanted { return false }
        }
        return true
    }
}
