import CreditsCore
import Foundation
import Notifications
import Testing

/// How a message is written on the wire; the real relay round trip is in CreditsAppTests.
@Suite struct MailMessageTests {
    @Test func repliesAreReadAcrossLinesAndPackets() throws {
        var reader = SMTPReplyReader()
        #expect(try reader.consume(Array("250-mail.example.com\r\n250-STARTT".utf8)) == nil)
        let reply = try reader.consume(Array("LS\r\n250 AUTH PLAIN LOGIN\r\n".utf8))
        #expect(reply == SMTPReply(code: 250, lines: ["mail.example.com", "STARTTLS", "AUTH PLAIN LOGIN"]))
        #expect(!reader.hasPendingBytes)
        #expect(try reader.consume(Array("554 5.7.1 no\r\n".utf8))?.isPermanentFailure == true)
        #expect(try reader.consume(Array("451 try later\r\n".utf8))?.isPermanentFailure == false)
    }

    @Test func somethingThatIsNotSMTPIsRefused() {
        var reader = SMTPReplyReader()
        #expect(throws: SMTPReplyReader.Failure.malformed("HTTP/1.1 400 Bad Request")) {
            try reader.consume(Array("HTTP/1.1 400 Bad Request\r\n".utf8))
        }
        var endless = SMTPReplyReader()
        #expect(throws: SMTPReplyReader.Failure.tooLong) {
            for _ in 0..<10_000 { _ = try endless.consume(Array("250-more and more\r\n".utf8)) }
        }
    }

    @Test func aLeadingDotIsDoubledAndTheBlockEndsWithALoneDot() {
        #expect(DotStuffing.dataBlock("a\r\n.\r\n..b\r\nc\r\n") == "a\r\n..\r\n...b\r\nc\r\n.\r\n")
        #expect(DotStuffing.dataBlock("no newline at the end") == "no newline at the end\r\n.\r\n")
    }

    @Test func quotedPrintableKeepsLinesShortAndEncodesWhatIsNotPlainASCII() {
        let encoded = QuotedPrintable.encode("Prix: 12,50 € = total\nend with space \n" + String(repeating: "x", count: 200))
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines[0] == "Prix: 12,50 =E2=82=AC =3D total")
        #expect(lines[1] == "end with space=20", "trailing space is encoded so no relay strips it")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(lines.dropFirst(2).joined().replacingOccurrences(of: "=", with: "") == String(repeating: "x", count: 200))
    }

    @Test func theMessageHasBothPartsAndEncodedHeaders() {
        let message = MailMessage(
            from: "credits@contoso.com",
            to: "megan@contoso.com",
            subject: "Café: balance used up",
            text: "Hello",
            html: "<p>Hello</p>",
            messageId: "notification-1.abc@contoso.com",
            date: ISO8601.parse("2026-11-21T09:05:03Z")!
        )
        let rendered = message.rendered()
        #expect(rendered.contains("Subject: =?utf-8?B?\(Data("Café: balance used up".utf8).base64EncodedString())?=\r\n"))
        #expect(rendered.contains("Date: Sat, 21 Nov 2026 09:05:03 +0000\r\n"))
        #expect(rendered.contains("Message-ID: <notification-1.abc@contoso.com>\r\n"))
        #expect(rendered.contains("Content-Type: text/plain; charset=utf-8\r\n"))
        #expect(rendered.contains("Content-Type: text/html; charset=utf-8\r\n"))
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF line ends only")
    }

    @Test func webhookSignaturesAreHMACSHA256OfTimestampDotBody() {
        // Worked out independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        #expect(
            WebhookSender.signature(secret: "whsec_test", timestamp: 1_700_000_000, body: Data(#"{"a":1}"#.utf8))
                == "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        )
    }

    @Test func everyEventSaysWhatHappenedTheBalanceAndWhatToDo() {
        let now = ISO8601.parse("2027-03-01T12:00:00Z")!
        let month = CalendarMonth(of: now)
        let events: [CreditEvent] = [
            .rechargeSucceeded(rechargeId: 1, amountMinor: 5000), .rechargeFailed(rechargeId: 2, amountMinor: 5000, reason: .cardExpired),
            .rechargeStopped(rechargeId: 3, amountMinor: 5000), .balanceExhausted(transactionId: TransactionId(4)),
            .balanceBelowTrigger(transactionId: TransactionId(5), triggerMinor: 1000),
            .lotExpiring(lotId: LotId(6), remainingMinor: 1234, expiresAt: now.adding(days: 7), daysAhead: 7),
            .conferencingPoolUsed(month: month, percent: 100), .postUsageInvoiceIssued(invoiceId: 8, amountMinor: 990, month: month),
        ]
        for event in events {
            let text = NotificationText(
                CreditNotification(
                    id: 1,
                    tenantId: TenantId("contoso"),
                    event: event,
                    occurredAt: now,
                    currency: Currency(code: "USD")!,
                    balanceMinor: 4321
                ),
                tenantName: "Contoso"
            )
            #expect(text.subject.hasPrefix("Contoso: "), "\(event)")
            #expect(text.text.contains("$43.21"), "\(event): the balance")
            #expect(text.text.contains("What to do") || text.text.contains("Nothing to do"), "\(event)")
            #expect(text.html.contains("<h1"), "\(event)")
        }
        let usedUp = CreditNotification(
            id: 1,
            tenantId: TenantId("contoso"),
            event: events[3],
            occurredAt: now,
            currency: Currency(code: "USD")!,
            balanceMinor: 0
        )
        let off = AutoRechargeSettings(unchecked: false, rechargeAmountMinor: 0, triggerAmountMinor: 0)
        let on = AutoRechargeSettings(unchecked: true, rechargeAmountMinor: 2000, triggerAmountMinor: 500)
        let prepaid = NotificationText(usedUp, tenantName: "Contoso").text
        let billedAfterUse = NotificationText(
            usedUp,
            tenantName: "Contoso",
            postUsage: PostUsageStatus(commerceModel: .mca, balanceMinor: 0, autoRecharge: off)
        ).text
        let stillRecharging = NotificationText(
            usedUp,
            tenantName: "Contoso",
            postUsage: PostUsageStatus(commerceModel: .nce, balanceMinor: 0, autoRecharge: on)
        ).text
        #expect(prepaid.contains("refused until funds are added") && prepaid.contains("Purchase services"), "\(prepaid)")
        #expect(
            billedAfterUse.contains("billed after use") && !billedAfterUse.contains("Purchase services") && !billedAfterUse.contains("refused"),
            "\(billedAfterUse)"
        )
        #expect(stillRecharging.contains("turn auto-recharge off") && !stillRecharging.contains("Purchase services"), "\(stillRecharging)")
        let failed = NotificationText(
            CreditNotification(
                id: 1,
                tenantId: TenantId("contoso"),
                event: events[1],
                occurredAt: now,
                currency: Currency(code: "USD")!,
                balanceMinor: 0
            ),
            tenantName: "A & B <Co>"
        )
        #expect(failed.subject == "A & B <Co>: auto-recharge of $50.00 failed (the card has expired)")
        #expect(failed.html.contains("A &amp; B &lt;Co&gt;") && !failed.html.contains("<Co>"))
    }
}
