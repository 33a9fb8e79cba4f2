public import CreditsEngine
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The Diameter credit-control server over TCP (RFC 6733, RFC 8506): capability exchange with
/// the peers it is told to trust, watchdogs, disconnects, and credit control. A connection
/// whose framing cannot be trusted (a wrong version or length) is closed; any other bad
/// message is answered with its protocol error, and the connection goes on.
public struct DiameterServer: Service {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port: Int
        /// The Origin-Host of every peer allowed to connect; any other is refused (3010).
        public var peers: Set<String>
        public var originHost = "commscredits.local"
        public var originRealm = "commscredits"

        public init(port: Int, peers: Set<String>) {
            self.port = port
            self.peers = peers
        }
    }

    let settings: Settings
    let control: CreditControl
    let logger: Logger

    public init(settings: Settings, calls: CallService, clock: any CreditsClock, logger: Logger) {
        self.settings = settings
        control = CreditControl(calls: calls, clock: clock, identity: DiameterIdentity(originHost: settings.originHost, originRealm: settings.originRealm))
        self.logger = logger
    }

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DiameterFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        logger.notice("Diameter credit control on \(settings.host):\(settings.port)")
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        }
    }

    /// One peer's connection: its messages in order, each answered before the next is read.
    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        var peer = DiameterPeer(settings: settings, identity: control.identity)
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    let reply = await peer.answer(Array(buffer: frame), control: control)
                    if let answer = reply.answer { try await outbound.write(ByteBuffer(bytes: answer.encoded())) }
                    if reply.close { return }
                }
            }
        } catch {
            logger.info("Diameter connection ended: \(error)")
        }
    }
}

/// Splits the byte stream into whole messages by the header's length. A version other than 1,
/// or a length shorter than a header or longer than the largest message, cannot be framed:
/// the connection is closed.
struct DiameterFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct Unframable: Error {}

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= 4, let version = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let high = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt16.self),
              let low = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt8.self) else { return .needMoreData }
        let length = Int(high) << 8 | Int(low)
        guard version == 1, length >= DiameterMessage.headerLength, length <= DiameterMessage.maximumLength else { throw Unframable() }
        guard let frame = buffer.readSlice(length: length) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }
}

/// What one connection has agreed: nothing until a Capabilities-Exchange-Request from a
/// trusted peer, then watchdogs, credit control and the disconnect.
struct DiameterPeer {
    let settings: DiameterServer.Settings
    let identity: DiameterIdentity
    var originHost: String?

    init(settings: DiameterServer.Settings, identity: DiameterIdentity) {
        self.settings = settings
        self.identity = identity
    }

    mutating func answer(_ bytes: [UInt8], control: CreditControl) async -> (answer: DiameterMessage?, close: Bool) {
        let message: DiameterMessage
        switch Result(catching: { () throws(DiameterDecodingError) in try DiameterMessage.decode(bytes[...]) }) {
        case let .success(decoded): message = decoded
        case .failure(.unanswerable): return (nil, true)
        case let .failure(.answerable(header, code, failed)):
            guard header.isRequest else { return (nil, false) }
            return (CreditControlFailure(code, failed: failed).answer(to: header, identity: identity), false)
        }
        // Answers from the peer (to nothing the server asks) are dropped.
        guard message.isRequest else { return (nil, false) }
        switch message.commandCode {
        case DiameterCommand.capabilitiesExchange:
            return capabilities(message)
        case DiameterCommand.deviceWatchdog where originHost != nil:
            return (message.answer(identity.base(for: message, .success)), false)
        case DiameterCommand.disconnectPeer where originHost != nil:
            return (message.answer(identity.base(for: message, .success)), true)
        case DiameterCommand.creditControl where originHost != nil:
            return (await control.answer(message, from: originHost!), false)
        case DiameterCommand.deviceWatchdog, DiameterCommand.disconnectPeer, DiameterCommand.creditControl:
            // Before the capabilities exchange, nobody is known.
            return (CreditControlFailure(.unknownPeer).answer(to: message, identity: identity), true)
        default:
            return (CreditControlFailure(.commandUnsupported).answer(to: message, identity: identity), false)
        }
    }

    /// CEA: success for a trusted peer that supports credit control (application 4, or relay).
    private mutating func capabilities(_ request: DiameterMessage) -> (DiameterMessage?, Bool) {
        guard let host = request.first(AVPCode.originHost)?.string, settings.peers.contains(host) else {
            return (CreditControlFailure(.unknownPeer).answer(to: request, identity: identity), true)
        }
        let applications = request.avps.flatMap { avp -> [UInt32] in
            if avp.code == AVPCode.authApplicationId { return avp.unsigned32.map { [$0] } ?? [] }
            if avp.code == AVPCode.vendorSpecificApplicationId {
                return avp.grouped?.filter { $0.code == AVPCode.authApplicationId }.compactMap(\.unsigned32) ?? []
            }
            return []
        }
        guard applications.contains(4) || applications.contains(0xFFFF_FFFF) else {
            return (CreditControlFailure(.noCommonApplication).answer(to: request, identity: identity), true)
        }
        originHost = host
        let answer = identity.base(for: request, .success) + [
            DiameterAVP(AVPCode.hostIPAddress, data: [0, 1, 127, 0, 0, 1]),
            DiameterAVP(AVPCode.vendorId, unsigned32: 0),
            DiameterAVP(AVPCode.productName, mandatory: false, string: "CommsCredits"),
            DiameterAVP(AVPCode.authApplicationId, unsigned32: 4),
        ]
        return (request.answer(answer), false)
    }
}
