import CZlib
import Foundation

/// Raw deflate (RFC 1951) written to a file as bytes are given, with the CRC-32 and the sizes a
/// zip entry records. Several of these, made side by side from consecutive parts of one text,
/// join into one stream: every part but the last ends with a sync flush (no final block), the
/// last with the final block, and their CRCs combine (`ZipFileWriter`). One task writes it;
/// once finished it is only read, so it may pass between tasks.
final class DeflatedFile: @unchecked Sendable {
    let url: URL
    private let file: BufferedFile
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 1 << 16)
    private(set) var crc: UInt = 0
    private(set) var uncompressedSize: Int64 = 0
    private(set) var compressedSize: Int64 = 0
    private var ended = false

    /// Level 1, the fastest: exports are written while someone waits for them.
    init(creating url: URL, level: Int32 = 1) throws {
        self.url = url
        file = try BufferedFile(creating: url)
        let status = deflateInit2_(
            &stream,
            level,
            Z_DEFLATED,
            -MAX_WBITS,
            8,
            Z_DEFAULT_STRATEGY,
            ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size)
        )
        guard status == Z_OK else { throw CocoaError(.fileWriteUnknown) }
    }

    func write(_ bytes: [UInt8]) throws {
        // zlib reads a CRC of no buffer as a request for the initial value: empty writes are skipped.
        guard !bytes.isEmpty else { return }
        crc = bytes.withUnsafeBufferPointer { CZlib.crc32(crc, $0.baseAddress, UInt32($0.count)) }
        uncompressedSize += Int64(bytes.count)
        try deflate(bytes, flush: Z_NO_FLUSH)
    }

    /// Ends this part: with the final block when `last`, otherwise so that another part can follow.
    func finish(last: Bool) throws {
        try deflate([], flush: last ? Z_FINISH : Z_SYNC_FLUSH)
        deflateEnd(&stream)
        ended = true
        try file.close()
    }

    /// An export that failed halfway still gives zlib's memory back.
    deinit {
        if !ended { deflateEnd(&stream) }
    }

    private func deflate(_ input: [UInt8], flush: Int32) throws {
        var input = input
        try input.withUnsafeMutableBufferPointer { pending in
            stream.next_in = pending.baseAddress
            stream.avail_in = UInt32(pending.count)
            repeat {
                let produced = try output.withUnsafeMutableBufferPointer { space -> Int in
                    stream.next_out = space.baseAddress
                    stream.avail_out = UInt32(space.count)
                    guard CZlib.deflate(&stream, flush) != Z_STREAM_ERROR else { throw CocoaError(.fileWriteUnknown) }
                    return space.count - Int(stream.avail_out)
                }
                try file.append(Array(output[..<produced]))
                compressedSize += Int64(produced)
            } while stream.avail_out == 0
        }
    }
}
