/// A Diameter message (RFC 6733 section 3): a 20-byte header and its AVPs.
struct DiameterMessage: Equatable, Sendable {
    struct Flags: OptionSet, Equatable, Sendable {
        let rawValue: UInt8
        static let request = Flags(rawValue: 0x80)
        static let proxiable = Flags(rawValue: 0x40)
        static let error = Flags(rawValue: 0x20)
        static let retransmitted = Flags(rawValue: 0x10)
    }

    var flags: Flags
    var commandCode: UInt32
    var applicationId: UInt32
    var hopByHop: UInt32
    var endToEnd: UInt32
    var avps: [DiameterAVP]

    static let headerLength = 20
    /// Larger messages are refused as malformed: a credit-control request is a few hundred bytes.
    static let maximumLength = 65_536

    var isRequest: Bool { flags.contains(.request) }

    func first(_ code: UInt32, vendor: UInt32 = 0) -> DiameterAVP? {
        avps.first { $0.code == code && $0.vendorId == vendor }
    }

    /// An answer to this request: the same command, application and ids.
    func answer(_ avps: [DiameterAVP], error: Bool = false) -> DiameterMessage {
        DiameterMessage(
            flags: error ? [.error] : flags.intersection(.proxiable),
            commandCode: commandCode,
            applicationId: applicationId,
            hopByHop: hopByHop,
            endToEnd: endToEnd,
            avps: avps
        )
    }

    func encoded() -> [UInt8] {
        var body: [UInt8] = []
        for avp in avps { avp.encode(into: &body) }
        var bytes: [UInt8] = [1]
        bytes.appendUInt24(UInt32(Self.headerLength + body.count))
        bytes.append(flags.rawValue)
        bytes.appendUInt24(commandCode)
        bytes.appendUInt32(applicationId)
        bytes.appendUInt32(hopByHop)
        bytes.appendUInt32(endToEnd)
        return bytes + body
    }

    /// Reads one whole message (`bytes` is exactly its length, as the framing found it). A header
    /// that cannot be answered throws `.unanswerable`; an AVP that is malformed throws the
    /// result code to answer with and the AVP at fault.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(DiameterDecodingError) -> DiameterMessage {
        guard bytes.count >= headerLength, bytes.count <= maximumLength else { throw .unanswerable }
        var reader = ByteReader(bytes)
        let version = reader.uint8()!
        let length = Int(reader.uint24()!)
        guard length == bytes.count else { throw .unanswerable }
        var message = DiameterMessage(
            flags: Flags(rawValue: reader.uint8()!),
            commandCode: reader.uint24()!,
            applicationId: reader.uint32()!,
            hopByHop: reader.uint32()!,
            endToEnd: reader.uint32()!,
            avps: []
        )
        guard version == 1 else { throw .answerable(message, .unsupportedVersion, failed: nil) }
        // Reserved flag bits set, or an error answer posing as a request.
        guard message.flags.rawValue & 0x0F == 0, !(message.flags.contains(.request) && message.flags.contains(.error)) else {
            throw .answerable(message, .invalidHeaderBits, failed: nil)
        }
        do throws(DiameterAVP.Malformed) {
            message.avps = try DiameterAVP.decodeAll(&reader)
        } catch {
            throw .answerable(message, error.resultCode, failed: error.avp)
        }
        return message
    }
}

enum DiameterDecodingError: Error, Equatable {
    /// Not even a header to answer: the connection is closed.
    case unanswerable
    case answerable(DiameterMessage, DiameterResultCode, failed: DiameterAVP?)
}

/// An attribute-value pair (RFC 6733 section 4).
struct DiameterAVP: Equatable, Sendable {
    var code: UInt32
    var mandatory: Bool
    var vendorId: UInt32
    var data: [UInt8]

    init(_ code: UInt32, vendor: UInt32 = 0, mandatory: Bool = true, data: [UInt8]) {
        self.code = code
        self.mandatory = mandatory
        vendorId = vendor
        self.data = data
    }

    init(_ code: UInt32, vendor: UInt32 = 0, mandatory: Bool = true, string: String) {
        self.init(code, vendor: vendor, mandatory: mandatory, data: Array(string.utf8))
    }

    init(_ code: UInt32, vendor: UInt32 = 0, mandatory: Bool = true, unsigned32 value: UInt32) {
        var data: [UInt8] = []
        data.appendUInt32(value)
        self.init(code, vendor: vendor, mandatory: mandatory, data: data)
    }

    init(_ code: UInt32, vendor: UInt32 = 0, mandatory: Bool = true, grouped: [DiameterAVP]) {
        var data: [UInt8] = []
        for avp in grouped { avp.encode(into: &data) }
        self.init(code, vendor: vendor, mandatory: mandatory, data: data)
    }

    var string: String? { String(validating: data, as: UTF8.self) }

    var unsigned32: UInt32? {
        guard data.count == 4 else { return nil }
        return data.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The AVPs a grouped AVP holds, or nil when its data is not a list of well-formed AVPs.
    var grouped: [DiameterAVP]? {
        var reader = ByteReader(data[...])
        return try? Self.decodeAll(&reader)
    }

    func encode(into bytes: inout [UInt8]) {
        let headerLength = vendorId == 0 ? 8 : 12
        bytes.appendUInt32(code)
        bytes.append((vendorId == 0 ? 0 : 0x80) | (mandatory ? 0x40 : 0))
        bytes.appendUInt24(UInt32(headerLength + data.count))
        if vendorId != 0 { bytes.appendUInt32(vendorId) }
        bytes.append(contentsOf: data)
        bytes.append(contentsOf: repeatElement(0, count: (4 - data.count % 4) % 4))
    }

    struct Malformed: Error {
        let resultCode: DiameterResultCode
        let avp: DiameterAVP?
    }

    /// Every AVP up to the end of `reader`, each padded to four bytes.
    static func decodeAll(_ reader: inout ByteReader) throws(Malformed) -> [DiameterAVP] {
        var avps: [DiameterAVP] = []
        while !reader.isAtEnd {
            guard let code = reader.uint32(), let flags = reader.uint8(), let length = reader.uint24().map(Int.init) else {
                throw Malformed(resultCode: .invalidAVPLength, avp: nil)
            }
            let vendorFlag = flags & 0x80 != 0
            let headerLength = vendorFlag ? 12 : 8
            var avp = DiameterAVP(code, mandatory: flags & 0x40 != 0, data: [])
            guard length >= headerLength, let vendor = vendorFlag ? reader.uint32() : 0, let data = reader.bytes(length - headerLength) else {
                throw Malformed(resultCode: .invalidAVPLength, avp: avp)
            }
            avp.vendorId = vendor
            avp.data = Array(data)
            guard flags & 0x1F == 0 else { throw Malformed(resultCode: .invalidAVPBits, avp: avp) }
            // The last AVP's padding may be left out, as some peers do.
            _ = reader.bytes(min((4 - length % 4) % 4, reader.remaining))
            avps.append(avp)
        }
        return avps
    }
}

/// Reads big-endian integers off a slice; nil past its end.
struct ByteReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }
    var remaining: Int { bytes.count }

    mutating func bytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, bytes.count >= count else { return nil }
        defer { bytes = bytes.dropFirst(count) }
        return bytes.prefix(count)
    }

    mutating func uint8() -> UInt8? { bytes(1)?.first }
    mutating func uint24() -> UInt32? { bytes(3).map { $0.reduce(0) { $0 << 8 | UInt32($1) } } }
    mutating func uint32() -> UInt32? { bytes(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } } }
}

extension [UInt8] {
    mutating func appendUInt24(_ value: UInt32) {
        append(contentsOf: [UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)])
    }

    mutating func appendUInt32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        appendUInt24(value)
    }
}
