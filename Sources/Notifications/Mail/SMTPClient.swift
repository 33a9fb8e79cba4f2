import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Sends one message per connection over SwiftNIO: EHLO, STARTTLS when offered (or required),
/// AUTH PLAIN or LOGIN when credentials are configured, MAIL, RCPT, DATA with dot-stuffing, QUIT.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    private let tlsContext: NIOSSLContext?

    public init(configuration: SMTPConfiguration) throws {
        self.configuration = configuration
        if configuration.security == .none {
            tlsContext = nil
        } else {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let file = configuration.trustedCertificatesFile { tls.trustRoots = .file(file) }
            tlsContext = try NIOSSLContext(configuration: tls)
        }
    }

    public func send(_ message: MailMessage) async throws {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
        } catch {
            throw SMTPError.failed("Could not connect to \(configuration.host):\(configuration.port): \(error)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    var session = SMTPSession(replies: inbound.makeAsyncIterator(), outbound: outbound)
                    try await converse(&session, channel: channel.channel, message: message)
                }
            }
            group.addTask {
                try await Task.sleep(for: configuration.timeout)
                channel.channel.close(promise: nil)
                throw SMTPError.failed("The relay did not finish within \(configuration.timeout)")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func converse(_ session: inout SMTPSession, channel: any Channel, message: MailMessage) async throws {
        try await session.expect("the greeting", 220)
        var capabilities = try await session.hello(configuration.heloName)
        if configuration.security != .none {
            if capabilities.contains("STARTTLS") {
                try await session.command("STARTTLS", expect: 220)
                // Anything the relay sent before the handshake could have been injected by a third party.
                guard !session.hasPendingBytes else { throw SMTPError.failed("The relay sent data before the TLS handshake") }
                let context = tlsContext!
                let host = configuration.host
                try await channel.eventLoop.submit {
                    let serverName = host.first?.isNumber == true || host.contains(":") ? nil : host
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: serverName),
                        position: .first
                    )
                }.get()
                capabilities = try await session.hello(configuration.heloName)
            } else if configuration.security == .startTLSRequired {
                throw SMTPError.failed("The relay does not offer STARTTLS, which the configuration requires", permanent: true)
            }
        }
        if let username = configuration.username, let password = configuration.password {
            try await authenticate(&session, username: username, password: password, capabilities: capabilities)
        }
        try await session.command("MAIL FROM:<\(configuration.from)>", expect: 250)
        try await session.command("RCPT TO:<\(message.to)>", expect: 250, 251)
        try await session.command("DATA", expect: 354)
        try await session.send(DotStuffing.dataBlock(message.rendered()), named: "the message", expect: 250)
        try? await session.command("QUIT", expect: 221)
    }

    private func authenticate(_ session: inout SMTPSession, username: String, password: String, capabilities: Set<String>) async throws {
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        if capabilities.contains("AUTH PLAIN") {
            try await session.command("AUTH PLAIN " + base64("\0\(username)\0\(password)"), named: "AUTH PLAIN", expect: 235)
        } else if capabilities.contains("AUTH LOGIN") {
            try await session.command("AUTH LOGIN", expect: 334)
            try await session.command(base64(username), named: "the user name", expect: 334)
            try await session.command(base64(password), named: "the password", expect: 235)
        } else {
            throw SMTPError.failed("The relay offers neither AUTH PLAIN nor AUTH LOGIN, and credentials are configured", permanent: true)
        }
    }
}

/// One conversation: a command, then its reply.
struct SMTPSession {
    var replies: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var reader = SMTPReplyReader()

    init(replies: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.replies = replies
        self.outbound = outbound
    }

    var hasPendingBytes: Bool { reader.hasPendingBytes }

    mutating func reply() async throws -> SMTPReply {
        while true {
            guard let bytes = try await replies.next() else { throw SMTPError.failed("The relay closed the connection") }
            do {
                if let reply = try reader.consume(bytes.readableBytesView) { return reply }
            } catch {
                throw SMTPError.failed("The relay's reply is not SMTP: \(error)")
            }
        }
    }

    mutating func expect(_ what: String, _ codes: Int...) async throws {
        let reply = try await reply()
        guard codes.contains(reply.code) else { throw SMTPError.rejected(what, reply) }
    }

    /// Sends EHLO; returns the extensions offered, upper-cased, with AUTH split per mechanism.
    mutating func hello(_ name: String) async throws -> Set<String> {
        try await outbound.write(ByteBuffer(string: "EHLO \(name)\r\n"))
        let reply = try await reply()
        guard reply.code == 250 else { throw SMTPError.rejected("EHLO", reply) }
        var capabilities: Set<String> = []
        for line in reply.lines.dropFirst() {
            let words = line.uppercased().split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first else { continue }
            capabilities.insert(keyword)
            if keyword == "AUTH" {
                for mechanism in words.dropFirst() { capabilities.insert("AUTH \(mechanism)") }
            }
        }
        return capabilities
    }

    /// Sends a command line; `named` stands for it in errors when it holds a secret.
    mutating func command(_ line: String, named: String? = nil, expect codes: Int...) async throws {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        let reply = try await reply()
        guard codes.contains(reply.code) else { throw SMTPError.rejected(named ?? String(line.prefix(while: { $0 != " " && $0 != ":" })), reply) }
    }

    mutating func send(_ block: String, named: String, expect code: Int) async throws {
        try await outbound.write(ByteBuffer(string: block))
        let reply = try await reply()
        guard reply.code == code else { throw SMTPError.rejected(named, reply) }
    }
}
