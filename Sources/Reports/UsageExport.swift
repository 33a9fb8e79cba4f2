public import CreditsCore
public import CreditsStore
public import Foundation
import Synchronization
import ZIPFoundation

/// The PSTN and SMS usage export (`DOMAIN.md` section 10): a zip holding `pstn-usage.csv` (RFC
/// 4180, CRLF, a header row, the 25 columns of `UsageReportRow`) and `parameters.json` (the
/// range and the capabilities in it), or the same as an .xlsx workbook. Records are read a page
/// at a time and written to a file as they come, so memory does not grow with their number.
public struct UsageExport: Sendable {
    static let pageSize = 5_000
    static let pagesEncodedAtOnce = 1

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
    public func writeCSVZip(
        tenant: Tenant,
        from requestedFrom: Instant,
        to requestedTo: Instant,
        at now: Instant,
        destination: URL,
        progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> Int {
        let (from, to) = Self.range(of: tenant, from: requestedFrom, to: requestedTo, at: now)
        let work = try WorkFolder()
        defer { work.remove() }
        // Two halves, split where half the records lie on either side, are read, written and
        // compressed side by side, one on each core; their deflate streams join into one entry.
        let total = try await stores.calls.usageRecordCount(for: tenant.id, from: from, to: to)
        let middle = try await stores.calls.usageRecordStartTime(for: tenant.id, from: from, to: to, skipping: total / 2) ?? to
        let counts = PartCounts(parts: 2, progress: progress)
        let parts = try await withThrowingTaskGroup(of: (Int, CSVPart).self) { group in
            for (index, (start, end)) in [(from, middle), (middle, to)].enumerated() {
                group.addTask {
                    (index, try await csvPart(index, of: tenant.id, from: start, to: end, last: index == 1, in: work, counts: counts))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }

        let parameters = Parameters(
            tenantId: tenant.id.rawValue,
            from: ISO8601.format(from),
            to: ISO8601.format(to),
            generatedAt: ISO8601.format(now),
            records: parts.reduce(0) { $0 + $1.records },
            capabilities: parts.reduce(into: Set<String>()) { $0.formUnion($1.capabilities) }.sorted(),
            columns: UsageReportRow.columns
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let parametersFile = try DeflatedFile(creating: work.url.appendingPathComponent("parameters.deflate"))
        try parametersFile.write([UInt8](try encoder.encode(parameters)))
        try parametersFile.finish(last: true)
        try ZipFileWriter.write(
            [
                ZipFileWriter.Entry(name: "pstn-usage.csv", parts: parts.map(\.file)),
                ZipFileWriter.Entry(name: "parameters.json", parts: [parametersFile]),
            ],
            modified: now,
            to: destination
        )
        return parameters.records
    }

    /// One part of the CSV, deflated: the header row first in part 0.
    private func csvPart(
        _ index: Int,
        of tenantId: TenantId,
        from: Instant,
        to: Instant,
        last: Bool,
        in work: WorkFolder,
        counts: PartCounts
    ) async throws -> CSVPart {
        let file = try DeflatedFile(creating: work.url.appendingPathComponent("pstn-usage-\(index).deflate"))
        if index == 0 {
            var header: [UInt8] = []
            CSVEncoding.append(row: UsageReportRow.columns, to: &header)
            try file.write(header)
        }
        var capabilities: Set<String> = []
        let progress: @Sendable (Int) -> Void = { counts.set(part: index, $0) }
        let records = try await forEachPage(of: tenantId, from: from, to: to, progress: progress) { records, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(records.count * 256)
            for record in records { CSVEncoding.append(row: UsageReportRow.values(record), to: &bytes) }
            return (bytes, Set(records.map(\.capability.rawValue)))
        } consume: { bytes, pageCapabilities in
            try file.write(bytes)
            capabilities.formUnion(pageCapabilities)
        }
        try file.finish(last: last)
        return CSVPart(file: file, records: records, capabilities: capabilities)
    }

    private struct CSVPart: Sendable {
        let file: DeflatedFile
        let records: Int
        let capabilities: Set<String>
    }

    /// Writes the records as an Office Open XML workbook (.xlsx) at `destination`: one sheet,
    /// the same columns and values as the CSV, times as dates and money as numbers.
    @discardableResult
    public func writeXLSX(
        tenant: Tenant,
        from requestedFrom: Instant,
        to requestedTo: Instant,
        at now: Instant,
        destination: URL,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> Int {
        let (from, to) = Self.range(of: tenant, from: requestedFrom, to: requestedTo, at: now)
        let work = try WorkFolder()
        defer { work.remove() }
        let sheetFile = work.url.appendingPathComponent("sheet1.xml")
        let sheet = try BufferedFile(creating: sheetFile)
        var header = Array(XLSXSheet.start.utf8)
        XLSXSheet.append(row: UsageReportRow.columns.map { .text($0) }, number: 1, to: &header)
        try sheet.append(header)
        let count = try await forEachPage(of: tenant.id, from: from, to: to, progress: progress) { records, offset in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(records.count * 1_024)
            for (index, record) in records.enumerated() {
                XLSXSheet.append(row: Self.cells(record), number: offset + index + 2, to: &bytes)
            }
            return bytes
        } consume: { bytes in
            try sheet.append(bytes)
        }
        try sheet.append(XLSXSheet.end)
        try sheet.close()
        let archive = try Archive.replacing(destination)
        for (path, text) in XLSXSheet.packageParts {
            try archive.addEntry(named: path, data: Data(text.utf8))
        }
        try archive.addEntry(with: "xl/worksheets/sheet1.xml", fileURL: sheetFile, compressionMethod: .deflate)
        return count
    }

    /// A record's cells: the CSV's values, with times as dates and durations and money as numbers.
    private static func cells(_ record: UsageRecord) -> [XLSXSheet.Cell] {
        let values = UsageReportRow.values(record)
        var cells = values.map { XLSXSheet.Cell.text($0) }
        cells[Column.startTime] = .time(millisecondsSinceEpoch: record.startTime.millisecondsSinceEpoch)
        cells[Column.endTime] = .time(millisecondsSinceEpoch: record.endTime.millisecondsSinceEpoch)
        cells[Column.duration] = .number(values[Column.duration])
        for column in [Column.connectionFee, Column.charge] {
            cells[column] = .money(values[column], decimals: record.currency.minorUnitExponent)
        }
        return cells
    }

    /// Where the typed columns are among the report's 25.
    private enum Column {
        static let startTime = index("Start Time"), endTime = index("End Time"), duration = index("Duration Seconds")
        static let connectionFee = index("Connection Fee"), charge = index("Charge")

        private static func index(_ name: String) -> Int { UsageReportRow.columns.firstIndex(of: name)! }
    }

    /// Reads the range a page at a time, oldest first; `encode` turns each page (and the index of
    /// its first record) into what `consume` writes, in order. Three pages are in hand at once:
    /// one read, one encoded, one written, so that both cores work.
    private func forEachPage<Encoded: Sendable>(
        of tenantId: TenantId,
        from: Instant,
        to: Instant,
        progress: @Sendable (Int) -> Void,
        encode: @escaping @Sendable ([UsageRecord], Int) -> Encoded,
        consume: (Encoded) throws -> Void
    ) async throws -> Int {
        var count = 0
        var cursor: UsageCursor?
        var encoding: [Task<Encoded, Never>] = []
        repeat {
            let records = try await stores.calls.usageRecords(for: tenantId, from: from, to: to, after: cursor, limit: Self.pageSize)
            cursor = UsageCursor.next(after: records, limit: Self.pageSize)
            let offset = count
            encoding.append(Task { encode(records, offset) })
            if encoding.count > Self.pagesEncodedAtOnce { try consume(await encoding.removeFirst().value) }
            count += records.count
            progress(count)
        } while cursor != nil
        for page in encoding { try consume(await page.value) }
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

/// The records written so far by each part of an export, reported as one total.
private final class PartCounts: Sendable {
    private let counts: Mutex<[Int]>
    private let progress: @Sendable (Int) -> Void

    init(parts: Int, progress: @escaping @Sendable (Int) -> Void) {
        counts = Mutex(Array(repeating: 0, count: parts))
        self.progress = progress
    }

    /// Reports inside the lock, so that the parts' reports reach `progress` one at a time.
    func set(part: Int, _ count: Int) {
        counts.withLock { counts in
            counts[part] = count
            progress(counts.reduce(0, +))
        }
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
