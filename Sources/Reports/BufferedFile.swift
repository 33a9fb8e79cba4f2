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
        buffer.reserveCapacity(Self.capacity)
    }

    func append(_ text: String) throws {
        try append(Array(text.utf8))
    }

    func append(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.capacity { try flush() }
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

/// RFC 4180 rows as bytes: fields separated by commas, a field quoted (its quotes doubled) when
/// it holds a comma, a quote, a carriage return or a line feed; CRLF at the end of each row.
///
/// A field a spreadsheet would read as a formula (it begins with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) gets a leading `'`, as OWASP recommends against CSV injection, unless it is
/// a plain number such as `-5` or a phone number such as `+14255550100` (or `+4930123***`,
/// masked), which can run nothing.
enum CSVEncoding {
    static func append(row fields: [String], to bytes: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            var field = neutralized(field)
            field.withUTF8 { utf8 in
                guard utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 13 || $0 == 10 }) else {
                    bytes.append(contentsOf: utf8)
                    return
                }
                bytes.append(UInt8(ascii: "\""))
                for byte in utf8 {
                    bytes.append(byte)
                    if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                }
                bytes.append(UInt8(ascii: "\""))
            }
        }
        bytes.append(contentsOf: [13, 10])
    }

    static func neutralized(_ field: String) -> String {
        guard let first = field.utf8.first, "=+-@\t\r".utf8.contains(first) else { return field }
        let rest = field.utf8.dropFirst()
        let plainNumber =
            (first == UInt8(ascii: "+") || first == UInt8(ascii: "-")) && !rest.isEmpty
            && rest.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "*") }
            && rest.filter { $0 == UInt8(ascii: ".") }.count <= 1
        return plainNumber ? field : "'" + field
    }
}
