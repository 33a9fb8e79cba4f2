import CreditsCore
import Foundation
import Notifications
import Testing

/// The SMTP client against a real SMTP server on loopback (aiosmtpd), in each mode it supports.
@Suite("Sending mail through a real SMTP server")
struct SMTPClientTests {
    func message(to recipient: String = "megan@contoso.com", text: String = "Hello", html: String = "<p>Hello</p>") -> MailMessage {
        MailMessage(
            from: "credits@contoso.com",
            to: recipient,
            subject: "Crédits: test",
            text: text,
            html: html,
            messageId: "test-\(UUID().uuidString)@contoso.com",
            date: ISO8601.parse("2026-11-21T09:00:00Z")!
        )
    }

    func client(
        port: Int,
        security: SMTPConfiguration.Security = .none,
        host: String = "127.0.0.1",
        credentials: (String, String)? = nil,
        trust: TestCertificate? = nil
    ) throws -> SMTPClient {
        try SMTPClient(
            configuration: SMTPConfiguration(
                host: host,
                port: port,
                security: security,
                username: credentials?.0,
                password: credentials?.1,
                from: "credits@contoso.com",
                trustedCertificatesFile: trust?.certificate,
                timeout: .seconds(10)
            )
        )
    }

    @Test("A plain relay gets the message whole: dots at line starts, both parts, UTF-8 headers")
    func plainRelay() async throws {
        let sink = try await SMTPSink()
        let text = "Line one\n.\n..two dots\n.hidden\nÉté: 12,50 €\n" + String(repeating: "long ", count: 40)
        try await client(port: sink.port).send(message(text: text, html: "<p>.</p>\n.<b>x</b>"))
        let mail = try #require(try sink.messages().first)
        #expect(try sink.messages().count == 1)
        #expect(mail.mailFrom == "credits@contoso.com" && mail.recipients == ["megan@contoso.com"])
        #expect(mail.subject == "Crédits: test")
        #expect(
            mail.text?.replacingOccurrences(of: "\r\n", with: "\n") == text + "\n" || mail.text?.replacingOccurrences(of: "\r\n", with: "\n") == text,
            "the lone dot did not end the message early: \(mail.text ?? "nil")"
        )
        #expect(mail.html?.contains(".<b>x</b>") == true)
        #expect(!mail.tls && !mail.authenticated)
        await sink.stop()
    }

    @Test("STARTTLS, then AUTH PLAIN or AUTH LOGIN, when the relay asks for them")
    func startTLSAndAuthentication() async throws {
        let certificate = try TestCertificate()
        for loginOnly in [false, true] {
            let sink = try await SMTPSink(tls: certificate, auth: "relay-user:relay-secret", loginOnly: loginOnly)
            try await client(
                port: sink.port,
                security: .startTLSRequired,
                host: "localhost",
                credentials: ("relay-user", "relay-secret"),
                trust: certificate
            ).send(message())
            let mail = try #require(try sink.messages().first, "login only: \(loginOnly)")
            #expect(mail.tls && mail.authenticated)
            await sink.stop()
        }
    }

    @Test("Refusals are clear and nothing is delivered: wrong password, no STARTTLS, an untrusted certificate, no relay")
    func refusals() async throws {
        let certificate = try TestCertificate()
        let secured = try await SMTPSink(tls: certificate, auth: "relay-user:relay-secret")
        let wrongPassword = await #expect(throws: SMTPError.self) {
            try await client(
                port: secured.port,
                security: .startTLSRequired,
                host: "localhost",
                credentials: ("relay-user", "wrong"),
                trust: certificate
            ).send(message())
        }
        #expect(wrongPassword?.isPermanent == true, "a 535 will not get better by retrying: \(String(describing: wrongPassword))")
        #expect(wrongPassword?.description.contains("535") == true)
        await #expect(throws: (any Error).self, "the certificate is not trusted") {
            try await client(port: secured.port, security: .startTLSRequired, host: "localhost", credentials: ("relay-user", "relay-secret"))
                .send(message())
        }
        #expect(try secured.messages().isEmpty)
        await secured.stop()

        let plain = try await SMTPSink()
        let noTLS = await #expect(throws: SMTPError.self) {
            try await client(port: plain.port, security: .startTLSRequired).send(message())
        }
        #expect(noTLS?.description.contains("STARTTLS") == true)
        #expect(try plain.messages().isEmpty)

        let port = plain.port
        await plain.stop()
        let down = await #expect(throws: SMTPError.self) { try await client(port: port).send(message()) }
        #expect(down?.isPermanent == false, "a relay that is down may come back")
    }
}
