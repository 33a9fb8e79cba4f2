import Foundation

/// A new file written through a 64 KiB buffer: exports append many short pieces, and one
/// system call each would cost more than the rest of the work.
final class BufferedFile {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 16

    init(creating url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        handle = try FileHandle(forWritingTo: url)
        buffer.reserveCapacity(Self.capacity + 4_096)
    }

    func append(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.capacity { try flush() }
    }

    /// Appends `text` without flushing: for the pieces of one row, flushed by the `append` that ends it.
    func appendBytes(_ text: String) {
        buffer.append(contentsOf: text.utf8)
    }

    /// Appends `text` as XML character data: `&`, `<`, `>` and `"` escaped, and the control
    /// characters XML 1.0 cannot hold left out (tab, line feed and carriage return stay).
    func appendXMLText(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
                || $0 == UInt8(ascii: "\"") }) else {
                buffer.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "&"): buffer.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): buffer.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): buffer.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "\""): buffer.append(contentsOf: "&quot;".utf8)
                case 9, 10, 13: buffer.append(byte)
                case ..<0x20: continue
                default: buffer.append(byte)
                }
            }
        }
    }

    /// Appends an RFC 4180 row: fields separated by commas, a field quoted (its quotes doubled)
    /// when it holds a comma, a quote, a carriage return or a line feed; CRLF at the end.
    func appendCSVRow(_ fields: [String]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            appendCSVField(field)
        }
        buffer.append(13)
        buffer.append(10)
        if buffer.count >= Self.capacity { try flush() }
    }

    private func appendCSVField(_ field: String) {
        var field = field
        field.withUTF8 { bytes in
            guard bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 13 || $0 == 10 }) else {
                buffer.append(contentsOf: bytes)
                return
            }
            buffer.append(UInt8(ascii: "\""))
            for byte in bytes {
                buffer.append(byte)
                if byte == UInt8(ascii: "\"") { buffer.append(byte) }
            }
            buffer.append(UInt8(ascii: "\""))
        }
    }

    func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
