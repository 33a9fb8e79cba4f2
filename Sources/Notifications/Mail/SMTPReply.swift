import Foundation

/// One SMTP reply: a three-digit code and its lines (RFC 5321 section 4.2), the last line
/// written `250 text`, the ones before it `250-text`.
public struct SMTPReply: Hashable, Sendable {
    public let code: Int
    public let lines: [String]

    package init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositive: Bool { (200..<400).contains(code) }
    /// A 5xx reply: trying the same again will fail the same way.
    public var isPermanentFailure: Bool { code >= 500 }
}

/// Collects reply lines from the bytes as they arrive.
package struct SMTPReplyReader {
    private var buffer: [UInt8] = []
    private var lines: [String] = []
    private var replyBytes = 0
    /// A server that never ends its reply is cut off here.
    package static let maximumReplyBytes = 64 * 1024

    package enum Failure: Error, Equatable {
        case malformed(String)
        case tooLong
    }

    package init() {}

    /// Takes in bytes; returns the reply once its last line has arrived.
    package mutating func consume(_ bytes: some Sequence<UInt8>) throws(Failure) -> SMTPReply? {
        let before = buffer.count
        buffer.append(contentsOf: bytes)
        replyBytes += buffer.count - before
        guard replyBytes <= Self.maximumReplyBytes else { throw .tooLong }
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var lineBytes = buffer[..<newline]
            if lineBytes.last == UInt8(ascii: "\r") { lineBytes = lineBytes.dropLast() }
            buffer.removeSubrange(...newline)
            let line = String(decoding: lineBytes, as: UTF8.self)
            guard line.utf8.count >= 3, let code = Int(line.prefix(3)), (200...599).contains(code) else { throw .malformed(line) }
            let separator = line.dropFirst(3).first
            guard separator == nil || separator == " " || separator == "-" else { throw .malformed(line) }
            lines.append(String(line.dropFirst(4)))
            if separator != "-" {
                defer { (lines, replyBytes) = ([], buffer.count) }
                return SMTPReply(code: code, lines: lines)
            }
        }
        return nil
    }

    /// Bytes received after the last complete reply (a server must not send any unasked).
    package var hasPendingBytes: Bool { !buffer.isEmpty }
}

/// The message body as the DATA command sends it: CRLF line ends, a dot doubled at the start of
/// any line (RFC 5321 section 4.5.2), and the final `.` line.
package enum DotStuffing {
    package static func dataBlock(_ message: String) -> String {
        let normalized = message.replacingOccurrences(of: "\r\n", with: "\n")
        var lines = normalized.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(".") ? "." + line : String(line)
        }
        if lines.last == "" { lines.removeLast() }
        return lines.joined(separator: "\r\n") + "\r\n.\r\n"
    }
}
