import CreditsCore
import CreditsEngine
import Foundation
import Logging

/// The service's logger: `text` for a person at a terminal, `json` (one object per line, with
/// every metadata key, the request id among them) for a log collector.
enum ServiceLogging {
    static func logger(format: String, level: Logger.Level) -> Logger {
        var logger =
            format == "json"
            ? Logger(label: "commscredits") { JSONLogHandler(label: $0) }
            : Logger(label: "commscredits")
        logger.logLevel = level
        return logger
    }
}

/// Writes each log record as one JSON object on standard output.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = "\(value)" }
        fields["time"] = ISO8601.format(SystemClock().now())
        fields["level"] = event.level.rawValue
        fields["message"] = "\(event.message)"
        fields["logger"] = label
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        FileHandle.standardOutput.write(line)
    }
}
