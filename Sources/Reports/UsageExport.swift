public import CreditsCore
public import CreditsStore
public import Foundation
import ZIPFoundation

/// The PSTN and SMS usage export (`DOMAIN.md` section 10): a zip holding `pstn-usage.csv` (RFC
/// 4180, CRLF, a header row, the 25 columns of `UsageReportRow`) and `parameters.json` (the
/// range and the capabilities in it), or the same as an .xlsx workbook. Records are read a page
/// at a time and written to a file as they come, so memory does not grow with their number.
public struct UsageExport: Sendable {
    static let pageSize = 5_000

    let stores: Stores

    public init(stores: Stores) {
        self.stores = stores
    }

    /// The range a report covers: `from` no earlier than the tenant keeps usage.
    public static func range(of tenant: Tenant, from: Instant, to: Instant, at now: Instant) -> (from: Instant, to: Instant) {
        (tenant.usageRetention.clamp(from, at: now), to)
    }

    /// Writes the zip to `destination` (replacing any file there); returns how many records it holds.
    @discardableResult
    public func writeCSVZip(tenant: Tenant, from requestedFrom: Instant, to requestedTo: Instant, at now: Instant,
                            destination: URL, progress: @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        let (from, to) = Self.range(of: tenant, from: requestedFrom, to: requestedTo, at: now)
        let work = try WorkFolder()
        defer { work.remove() }
        let csvFile = work.url.appendingPathComponent("pstn-usage.csv")
        let file = try BufferedFile(creating: csvFile)
        try file.appendCSVRow(UsageReportRow.columns)
        var capabilities: Set<String> = []
        let count = try await forEachRecord(of: tenant.id, from: from, to: to, progress: progress) { record in
            try file.appendCSVRow(UsageReportRow.values(record))
            capabilities.insert(record.capability.rawValue)
        }
        try file.close()

        let parameters = Parameters(tenantId: tenant.id.rawValue, from: ISO8601.format(from), to: ISO8601.format(to),
                                    generatedAt: ISO8601.format(now), records: count, capabilities: capabilities.sorted(),
                                    columns: UsageReportRow.columns)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let parametersData = try encoder.encode(parameters)
        let archive = try Archive.replacing(destination)
        try archive.addEntry(with: "pstn-usage.csv", fileURL: csvFile, compressionMethod: .deflate)
        try archive.addEntry(named: "parameters.json", data: parametersData)
        return count
    }

    /// Writes the records as an Office Open XML workbook (.xlsx) at `destination`: one sheet,
    /// the same columns and values as the CSV, times as dates and money as numbers.
    @discardableResult
    public func writeXLSX(tenant: Tenant, from requestedFrom: Instant, to requestedTo: Instant, at now: Instant,
                          destination: URL, progress: @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        let (from, to) = Self.range(of: tenant, from: requestedFrom, to: requestedTo, at: now)
        let work = try WorkFolder()
        defer { work.remove() }
        let sheetFile = work.url.appendingPathComponent("sheet1.xml")
        let sheet = try XLSXSheetWriter(file: sheetFile)
        try sheet.write(UsageReportRow.columns.map { .text($0) })
        let count = try await forEachRecord(of: tenant.id, from: from, to: to, progress: progress) { record in
            let values = UsageReportRow.values(record)
            var cells = values.map { XLSXSheetWriter.Cell.text($0) }
            cells[Self.column("Start Time")] = .time(millisecondsSinceEpoch: record.startTime.millisecondsSinceEpoch)
            cells[Self.column("End Time")] = .time(millisecondsSinceEpoch: record.endTime.millisecondsSinceEpoch)
            let duration = Self.column("Duration Seconds")
            cells[duration] = .number(values[duration])
            for name in ["Connection Fee", "Charge"] {
                cells[Self.column(name)] = .money(values[Self.column(name)], decimals: record.currency.minorUnitExponent)
            }
            try sheet.write(cells)
        }
        try sheet.finish()
        let archive = try Archive.replacing(destination)
        for (path, text) in XLSXSheetWriter.packageParts {
            try archive.addEntry(named: path, data: Data(text.utf8))
        }
        try archive.addEntry(with: "xl/worksheets/sheet1.xml", fileURL: sheetFile, compressionMethod: .deflate)
        return count
    }

    private static func column(_ name: String) -> Int { UsageReportRow.columns.firstIndex(of: name)! }

    /// Reads the range a page at a time, oldest first, handing each record to `body`; returns the
    /// count. The next page is read while `body` writes this one, so the two cores share the work.
    private func forEachRecord(of tenantId: TenantId, from: Instant, to: Instant, progress: @Sendable (Int) -> Void,
                               _ body: (UsageRecord) throws -> Void) async throws -> Int {
        let stores = stores
        @Sendable func page(after cursor: UsageCursor?) async throws -> [UsageRecord] {
            try await stores.calls.usageRecords(for: tenantId, from: from, to: to, after: cursor, limit: Self.pageSize)
        }
        var count = 0
        var records = try await page(after: nil)
        while !records.isEmpty {
            let cursor = records.count == Self.pageSize ? records.last.map(UsageCursor.init(after:)) : nil
            async let next = cursor == nil ? [] : page(after: cursor)
            try records.forEach(body)
            count += records.count
            progress(count)
            records = try await next
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

/// A temporary folder for one export's files.
private struct WorkFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

extension Archive {
    /// A new, empty zip at `url`, in place of any file there.
    static func replacing(_ url: URL) throws -> Archive {
        try? FileManager.default.removeItem(at: url)
        return try Archive(url: url, accessMode: .create)
    }

    /// Adds `data`, compressed, as the entry `path`.
    func addEntry(named path: String, data: Data) throws {
        try addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
}
