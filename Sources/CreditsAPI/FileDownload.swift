public import Foundation
public import Hummingbird

/// A file made for one answer: written to a temporary file, then sent from disk in 64 KiB
/// pieces and removed once sent, so that its size does not weigh on memory.
public enum FileDownload {
    public static let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    public static func response(
        named name: String,
        contentType: String = "application/zip",
        _ write: (URL) async throws -> Void
    ) async throws -> Response {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).zip")
        do {
            try await write(file)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
        let handle = try FileHandle(forReadingFrom: file)
        let body = ResponseBody { writer in
            defer {
                try? handle.close()
                try? FileManager.default.removeItem(at: file)
            }
            while let chunk = try handle.read(upToCount: 64 * 1024), !chunk.isEmpty {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: contentType, .contentDisposition: "attachment; filename=\"\(name)\""],
            body: body
        )
    }
}
