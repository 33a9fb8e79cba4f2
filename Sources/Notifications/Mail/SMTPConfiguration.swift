/// The mail relay notifications go through.
public struct SMTPConfiguration: Sendable {
    public enum Security: String, Sendable {
        /// Upgrade with STARTTLS when the relay offers it (the default).
        case startTLSWhenOffered = "starttls"
        /// Refuse to send unless the relay offers STARTTLS.
        case startTLSRequired = "starttls-required"
        /// Never upgrade: only for a relay on the same machine.
        case none
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// The sender address of every notification.
    public var from: String
    /// The name this service gives itself in EHLO.
    public var heloName: String
    /// A PEM file of certificates to trust instead of the system's (a private relay's own CA).
    public var trustedCertificatesFile: String?
    /// The longest one message may take, connection to QUIT.
    public var timeout: Duration

    public init(
        host: String,
        port: Int = 25,
        security: Security = .startTLSWhenOffered,
        username: String? = nil,
        password: String? = nil,
        from: String,
        heloName: String = "localhost",
        trustedCertificatesFile: String? = nil,
        timeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.heloName = heloName
        self.trustedCertificatesFile = trustedCertificatesFile
        self.timeout = timeout
    }
}

/// Why a message was not sent. A permanent failure (a 5xx reply) will not succeed on retry.
public struct SMTPError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public let isPermanent: Bool

    static func rejected(_ command: String, _ reply: SMTPReply) -> SMTPError {
        SMTPError(
            description: "The relay answered \(command) with \(reply.code) \(reply.lines.joined(separator: " "))",
            isPermanent: reply.isPermanentFailure
        )
    }

    static func failed(_ description: String, permanent: Bool = false) -> SMTPError {
        SMTPError(description: description, isPermanent: permanent)
    }
}
