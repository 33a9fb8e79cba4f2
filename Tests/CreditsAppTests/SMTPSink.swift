import Foundation
import Testing

/// A real SMTP server on loopback: `Tests/Support/smtp_sink.py` (aiosmtpd) in its own process,
/// keeping each message it accepts as JSON in a spool folder.
final class SMTPSink: @unchecked Sendable {
    struct Mail: Decodable {
        let mailFrom: String
        let recipients: [String]
        let tls: Bool
        let authenticated: Bool
        let headers: [String: String]
        let text: String?
        let html: String?
        let raw: String

        var subject: String { headers["Subject"] ?? "" }
    }

    let port: Int
    let spool: URL
    private let process: Process
    private let output: FileHandle
    private var stopped = false

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Support/smtp_sink.py")

    /// Starts the server on `port` (a free one when nil); `tls` makes it require STARTTLS.
    init(port: Int? = nil, tls: TestCertificate? = nil, auth: String? = nil, loginOnly: Bool = false) async throws {
        spool = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", Self.script.path, "--spool", spool.path]
        if let port { arguments += ["--port", String(port)] }
        if let tls { arguments += ["--tls", tls.certificate, tls.key] }
        if let auth { arguments += ["--auth", auth] }
        if loginOnly { arguments.append("--login-only") }
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        output = pipe.fileHandleForReading
        try process.run()
        let line = await Self.readLine(output)
        guard line.hasPrefix("READY "), let port = Int(line.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SinkError(description: "smtp_sink.py said '\(line)' (is aiosmtpd installed?)")
        }
        self.port = port
    }

    /// Stops it and waits until it no longer listens, so that its port is free again; killed
    /// if it takes more than 5 seconds.
    func stop() async {
        guard !stopped else { return }
        stopped = true
        process.terminate()
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { kill(pid, SIGKILL) }
        _ = await Self.readLine(output)
    }

    deinit {
        if !stopped { kill(process.processIdentifier, SIGKILL) }
    }

    /// Reads on a Dispatch thread: a blocking read on the tests' cooperative threads could
    /// starve the very client the server is waiting for.
    private static func readLine(_ handle: FileHandle) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var line = ""
                while !line.contains("\n") {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    line += String(decoding: data, as: UTF8.self)
                }
                continuation.resume(returning: line)
            }
        }
    }

    /// Every message accepted so far, in the order they arrived.
    func messages() throws -> [Mail] {
        let files = (try? FileManager.default.contentsOfDirectory(at: spool, includingPropertiesForKeys: nil)) ?? []
        return try files.filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { try JSONDecoder().decode(Mail.self, from: Data(contentsOf: $0)) }
    }

    /// Waits (up to `seconds`) until at least `count` messages arrived; returns all of them.
    func waitForMessages(_ count: Int, seconds: Double = 20) async throws -> [Mail] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let messages = try messages()
            if messages.count >= count { return messages }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try messages()
    }

    struct SinkError: Error, CustomStringConvertible { let description: String }
}

/// A self-signed certificate for `localhost` and 127.0.0.1, made with openssl for one test.
struct TestCertificate {
    let certificate: String
    let key: String

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        certificate = folder.appendingPathComponent("cert.pem").path
        key = folder.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw SMTPSink.SinkError(description: "openssl could not make a certificate") }
    }
}
