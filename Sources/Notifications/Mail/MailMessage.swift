public import CreditsCore
import CreditsEngine
import Foundation

/// An email with a plain-text and an HTML body, rendered as RFC 5322 / MIME text with CRLF line
/// ends: `multipart/alternative`, each part UTF-8 in quoted-printable so that it stays readable
/// and no line is longer than 76 characters.
public struct MailMessage: Hashable, Sendable {
    public let from: String
    public let to: String
    public let subject: String
    public let text: String
    public let html: String
    /// Stable for one notification and recipient, so that a copy sent twice can be recognized.
    public let messageId: String
    public let date: Instant

    public init(from: String, to: String, subject: String, text: String, html: String, messageId: String, date: Instant) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageId = messageId
        self.date = date
    }

    public func rendered() -> String {
        let boundary = "=_commscredits_" + Digest.sha256Hex(Array(messageId.utf8)).prefix(24)
        let lines = [
            "From: \(from)",
            "To: \(to)",
            "Subject: \(Self.encodedHeader(subject))",
            "Date: \(Self.rfc5322(date))",
            "Message-ID: <\(messageId)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(text),
            "--\(boundary)",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(html),
            "--\(boundary)--",
        ]
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A header value as is when it is plain ASCII, else as an RFC 2047 encoded word.
    static func encodedHeader(_ value: String) -> String {
        let plain = value.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }
        return plain ? value : "=?utf-8?B?\(Data(value.utf8).base64EncodedString())?="
    }

    /// `Sat, 21 Nov 2026 09:30:00 +0000`.
    static func rfc5322(_ instant: Instant) -> String {
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let civil = instant.civilDateAndTime
        let days = civil.date.instant().millisecondsSinceEpoch / 86_400_000
        let time = ISO8601.format(instant).split(separator: "T")[1].prefix(8)
        let day = civil.date.day < 10 ? "0\(civil.date.day)" : "\(civil.date.day)"
        return "\(weekdays[Int(((days % 7) + 7) % 7)]), \(day) \(months[civil.date.month - 1]) \(civil.date.year) \(time) +0000"
    }
}

/// Quoted-printable (RFC 2045): printable ASCII as is, everything else as `=XX`, soft line
/// breaks keeping every line within 76 characters.
package enum QuotedPrintable {
    package static func encode(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        return normalized.split(separator: "\n", omittingEmptySubsequences: false).map(encodeLine).joined(separator: "\r\n")
    }

    private static func encodeLine(_ line: Substring) -> String {
        var output: [String] = []
        var current = ""
        let bytes = Array(line.utf8)
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast)
            let piece = literal ? String(UnicodeScalar(byte)) : String(format: "=%02X", byte)
            if current.utf8.count + piece.utf8.count > 75 {
                output.append(current + "=")
                current = ""
            }
            current += piece
        }
        output.append(current)
        return output.joined(separator: "\r\n")
    }
}
