import Configuration
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// How long a client may take and how many may be connected (our rule, so that clients that
/// open connections and never finish cannot use the server up): a connection with no request
/// in progress, including one whose headers are still arriving, closes after `idleSeconds`; a
/// request's body must arrive whole within `bodySeconds` of its head; at most
/// `maximumConnections` are open at once, further ones wait in the listen backlog.
struct ConnectionLimits {
    let idleSeconds: Int64
    let bodySeconds: Int64
    let maximumConnections: Int

    init(reader: ConfigReader) {
        idleSeconds = Int64(reader.int(forKey: "idleTimeoutSeconds", default: 30))
        bodySeconds = Int64(reader.int(forKey: "bodyTimeoutSeconds", default: 60))
        maximumConnections = reader.int(forKey: "maximumConnections", default: 1_000)
    }

    var channelConfiguration: HTTP1Channel.Configuration {
        let bodySeconds = bodySeconds
        return HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestBodyDeadline(seconds: bodySeconds)],
            idleTimeout: .seconds(idleSeconds)
        )
    }
}

/// Closes the connection when a request's body has not arrived whole `seconds` after its head.
final class RequestBodyDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let seconds: Int64
    private var deadline: Scheduled<Void>?

    init(seconds: Int64) {
        self.seconds = seconds
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: .seconds(seconds)) { bound.value.close(promise: nil) }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }
}
