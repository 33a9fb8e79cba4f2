import Configuration
import Foundation
import HummingbirdTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Clients that open connections and never finish are let go: headers that never end, and
/// bodies that never arrive whole, close the connection.
@Suite("Connection limits")
struct ConnectionLimitTests {
    static let quick: [AbsoluteConfigKey: ConfigValue] = [
        "http.idleTimeoutSeconds": .init(.int(1), isSecret: false),
        "http.bodyTimeoutSeconds": .init(.int(1), isSecret: false),
    ]

    @Test("Headers sent a byte at a time past the idle time, and a body left unfinished, are cut off; a whole request is answered")
    func slowClientsAreCutOff() async throws {
        try await TestServer.run(settings: Self.quick) { client, _ in
            let port = try #require(client.port)
            let whole = try RawConnection(port: port)
            try whole.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(try whole.readUntilClosed(seconds: 3).hasPrefix("HTTP/1.1 200"), "a whole request is answered")

            let slowHeaders = try RawConnection(port: port)
            try slowHeaders.send("GET /health/live HTTP/1.1\r\n")
            for _ in 0..<4 {
                try? slowHeaders.send("X")
                try await Task.sleep(for: .milliseconds(700))
            }
            #expect(slowHeaders.isClosed(within: 3), "headers that never end")

            let unfinished = try RawConnection(port: port)
            try unfinished.send(
                "POST /v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"upn\":"
            )
            #expect(unfinished.isClosed(within: 4), "a body that never arrives whole")
        }
    }
}

/// A plain TCP connection to the server on loopback, to behave as no HTTP client would.
final class RawConnection {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(descriptor) }

    func send(_ text: String) throws {
        let sent = text.utf8CString.withUnsafeBufferPointer { Glibc.send(descriptor, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
        guard sent >= 0 else { throw POSIXError(.EPIPE) }
    }

    /// Everything the server sends until it closes, or `seconds` pass without a byte.
    func readUntilClosed(seconds: Int) throws -> String {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
            if String(decoding: received, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the server closes the connection within `seconds` (a read then ends, or fails as reset).
    func isClosed(within seconds: Int) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }
}
