import CZlib
import CreditsCore
import Foundation

/// A zip archive of deflated entries, written front to back: each entry's data is made first
/// (`DeflatedFile`, in one part or several made side by side), so its CRC and sizes are known
/// when its header is written. Sizes past 4 GiB would need Zip64, which this does not write.
enum ZipFileWriter {
    struct Entry {
        let name: String
        let parts: [DeflatedFile]
    }

    static let tooLarge = Refusal.invalid(.invalidRange, "The export would be larger than 4 GiB: choose a shorter range.")

    static func write(_ entries: [Entry], modified: Instant, to url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        let out = try BufferedFile(creating: url)
        let (time, date) = dosTimeAndDate(modified)
        var central: [UInt8] = []
        var offset: Int64 = 0
        for entry in entries {
            let crc = entry.parts.dropFirst().reduce(entry.parts[0].crc) { crc32_combine($0, $1.crc, off_t($1.uncompressedSize)) }
            let compressed = entry.parts.reduce(0) { $0 + $1.compressedSize }
            let uncompressed = entry.parts.reduce(0) { $0 + $1.uncompressedSize }
            guard compressed < UInt32.max, uncompressed < UInt32.max, offset < UInt32.max else { throw tooLarge }
            let name = Array(entry.name.utf8)
            // What the local and the central header share: version 2.0, UTF-8 names, deflate.
            var common: [UInt8] = []
            common.append(le16: 20)
            common.append(le16: 0x0800)
            common.append(le16: 8)
            common.append(le16: time)
            common.append(le16: date)
            common.append(le32: UInt32(crc))
            common.append(le32: UInt32(compressed))
            common.append(le32: UInt32(uncompressed))
            common.append(le16: UInt16(name.count))
            common.append(le16: 0)
            var local: [UInt8] = []
            local.append(le32: 0x0403_4b50)
            try out.append(local + common + name)
            for part in entry.parts { try copy(part.url, to: out) }

            central.append(le32: 0x0201_4b50)
            central.append(le16: 3 << 8 | 20)  // made on Unix, version 2.0
            central += common
            central.append(le16: 0)  // comment
            central.append(le16: 0)  // disk
            central.append(le16: 0)  // internal attributes
            central.append(le32: 0o100644 << 16)  // a regular file, rw-r--r--
            central.append(le32: UInt32(offset))
            central += name
            offset += 30 + Int64(name.count) + compressed
        }
        guard offset + Int64(central.count) < UInt32.max else { throw tooLarge }
        var end: [UInt8] = []
        end.append(le32: 0x0605_4b50)
        end.append(le16: 0)
        end.append(le16: 0)
        end.append(le16: UInt16(entries.count))
        end.append(le16: UInt16(entries.count))
        end.append(le32: UInt32(central.count))
        end.append(le32: UInt32(offset))
        end.append(le16: 0)
        try out.append(central + end)
        try out.close()
    }

    private static func copy(_ url: URL, to out: BufferedFile) throws {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { try out.append([UInt8](chunk)) }
    }

    /// MS-DOS time and date, as zip headers keep them (two-second steps, years from 1980).
    private static func dosTimeAndDate(_ instant: Instant) -> (UInt16, UInt16) {
        let (date, millisecond) = instant.civilDateAndTime
        let seconds = millisecond / 1000
        let time = UInt16(seconds / 3600) << 11 | UInt16(seconds / 60 % 60) << 5 | UInt16(seconds % 60 / 2)
        let day = UInt16(max(date.year - 1980, 0)) << 9 | UInt16(date.month) << 5 | UInt16(date.day)
        return (time, day)
    }
}

extension [UInt8] {
    mutating func append(le16 value: UInt16) {
        append(UInt8(value & 0xff))
        append(UInt8(value >> 8))
    }

    mutating func append(le32 value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(value >> UInt32(shift) & 0xff)) }
    }
}
