public import CreditsCore
public import CreditsStore
import CSV
public import Foundation
import ZIPFoundation

/// The PSTN and SMS usage export (`DOMAIN.md` section 10): a zip holding `pstn-usage.csv` (RFC
/// 4180, CRLF, a header row, the 25 columns of `UsageReportRow`) and `parameters.json` (the
/// range and the capabilities in it). Records are read a page at a time and written to a file
/// as they come, so memory does not grow with their number.
public struct UsageExport: Sendable {
    /// Our rule: an export reaches back at most 365 days (the default retention).
    public static let retentionDays: Int64 = 365
    static let pageSize = 5_000

    let stores: Stores

    public init(stores: Stores) {
        self.stores = stores
    }

    /// The range an export covers: `from` no earlier than the retention allows.
    public static func range(from: Instant, to: Instant, at now: Instant) -> (from: Instant, to: Instant) {
        (max(from, now.adding(days: -retentionDays)), to)
    }

    /// Writes the zip to `destination` (replacing any file there); returns how many records it holds.
    @discardableResult
    public func writeCSVZip(tenantId: TenantId, from requestedFrom: Instant, to requestedTo: Instant, at now: Instant,
                            destination: URL, progress: @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        let (from, to) = Self.range(from: requestedFrom, to: requestedTo, at: now)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let csvFile = work.appendingPathComponent("pstn-usage.csv")
        guard let stream = OutputStream(toFileAtPath: csvFile.path, append: false) else { throw CocoaError(.fileWriteUnknown) }
        stream.open()
        let writer = try CSVWriter(stream: stream, newline: .crlf)
        try writer.write(row: UsageReportRow.columns)
        var count = 0
        var capabilities: Set<String> = []
        var cursor: UsageCursor?
        repeat {
            let page = try await stores.calls.usageRecords(for: tenantId, from: from, to: to, after: cursor, limit: Self.pageSize)
            for record in page {
                try writer.write(row: UsageReportRow.values(record))
                capabilities.insert(record.capability.rawValue)
            }
            count += page.count
            progress(count)
            cursor = page.count == Self.pageSize ? page.last.map { UsageCursor(startTime: $0.startTime, usageId: $0.usageId) } : nil
        } while cursor != nil
        stream.close()

        let parameters = Parameters(tenantId: tenantId.rawValue, from: ISO8601.format(from), to: ISO8601.format(to),
                                    generatedAt: ISO8601.format(now), records: count, capabilities: capabilities.sorted(),
                                    columns: UsageReportRow.columns)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let parametersData = try encoder.encode(parameters)
        try? FileManager.default.removeItem(at: destination)
        let archive = try Archive(url: destination, accessMode: .create)
        try archive.addEntry(with: "pstn-usage.csv", fileURL: csvFile, compressionMethod: .deflate)
        try archive.addEntry(with: "parameters.json", type: .file, uncompressedSize: Int64(parametersData.count), compressionMethod: .deflate) {
            position, size in parametersData.subdata(in: Int(position)..<Int(position) + size)
        }
        return count
    }

    /// What `parameters.json` says: the range (after the retention limit), when, and what is inside.
    struct Parameters: Encodable {
        let tenantId: String
        let from: String
        let to: String
        let generatedAt: String
        let records: Int
        let capabilities: [String]
        let columns: [String]
    }
}
