public import CreditsEngine
public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization

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
        /// How often the sessions on a final grant are checked for new funds (a Re-Auth-Request
        /// each that may now go on): a few seconds, well within any grant.
        public var reAuthCheckSeconds: Int64 = 2

        public init(port: Int, peers: Set<String>) {
            self.port = port
            self.peers = peers
        }
    }

    let settings: Settings
    let control: CreditControl
    let logger: Logger
    private let connections = PeerConnections()

    public init(settings: Settings, calls: CallService, clock: any CreditsClock, logger: Logger) {
        self.settings = settings
        control = CreditControl(
            calls: calls,
            clock: clock,
            identity: DiameterIdentity(originHost: settings.originHost, originRealm: settings.originRealm)
        )
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
                group.addTask { await reAuthorizeWhenFundsArrive() }
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        }
    }

    /// One peer's connection: its messages in order, each answered before the next is read.
    /// Once the peer is known, the connection is where its Re-Auth-Requests go.
    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        var peer = DiameterPeer(settings: settings, identity: control.identity)
        let id = connections.newId()
        do {
            try await connection.executeThenClose { inbound, outbound in
                defer { if let host = peer.originHost { connections.remove(host, id: id) } }
                for try await frame in inbound {
                    let known = peer.originHost != nil
                    let reply = await peer.answer(Array(buffer: frame), control: control)
                    if let answer = reply.answer { try await outbound.write(ByteBuffer(bytes: answer.encoded())) }
                    if reply.close { return }
                    if !known, let host = peer.originHost { connections.add(host, realm: peer.originRealm ?? "", id: id, outbound) }
                }
            }
        } catch {
            logger.info("Diameter connection ended: \(error)")
        }
    }

    /// Every few seconds, a Re-Auth-Request to each session on a final grant whose tenant got
    /// funds since, on its peer's connection (RFC 8506 section 5.5): the client re-authorizes
    /// with a CCR UPDATE, and the call near its cut-off survives the recharge.
    private func reAuthorizeWhenFundsArrive() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(settings.reAuthCheckSeconds))
            for due in await control.sessionsToReAuthorize() {
                guard let peer = connections.connection(of: due.peer) else { continue }
                let request = control.reAuthRequest(for: due.sessionId, peerHost: due.peer, peerRealm: peer.realm, id: connections.newId())
                do {
                    try await peer.outbound.write(ByteBuffer(bytes: request.encoded()))
                } catch {
                    logger.info("Re-Auth-Request to \(due.peer) not sent: \(error)")
                }
            }
        }
    }
}

/// The open connection of each known peer, where requests from the server go.
final class PeerConnections: Sendable {
    struct Connection: Sendable {
        let id: UInt32
        let realm: String
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    }

    private let byHost = Mutex<[String: Connection]>([:])
    private let lastId = Atomic<UInt32>(0)

    /// A number for a connection or a request the server sends (its hop-by-hop id).
    func newId() -> UInt32 { lastId.wrappingAdd(1, ordering: .relaxed).newValue }

    /// The peer's latest connection replaces any earlier one.
    func add(_ host: String, realm: String, id: UInt32, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        byHost.withLock { $0[host] = Connection(id: id, realm: realm, outbound: outbound) }
    }

    func remove(_ host: String, id: UInt32) {
        byHost.withLock { if $0[host]?.id == id { $0[host] = nil } }
    }

    func connection(of host: String) -> Connection? { byHost.withLock { $0[host] } }
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
            let low = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt8.self)
        else { return .needMoreData }
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
    var originRealm: String?

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
        // Answers from the peer (RAA to the server's Re-Auth-Requests) need no reply.
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
        originRealm = request.first(AVPCode.originRealm)?.string
        let answer =
            identity.base(for: request, .success) + [
                DiameterAVP(AVPCode.hostIPAddress, data: [0, 1, 127, 0, 0, 1]),
                DiameterAVP(AVPCode.vendorId, unsigned32: 0),
                DiameterAVP(AVPCode.productName, mandatory: false, string: "CommsCredits"),
                DiameterAVP(AVPCode.authApplicationId, unsigned32: 4),
            ]
        return (request.answer(answer), false)
    }
}
