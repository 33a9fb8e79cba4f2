import CreditsCore
import Testing

/// A card as typed, checked field by field before it goes to the payment provider.
@Suite("Card entry")
struct CardEntryTests {
    let now = ISO8601.parse("2027-03-15T12:00:00Z")!

    func code(_ number: String, _ expiry: String = "12/30", _ securityCode: String = "123") -> String? {
        do {
            _ = try CardEntry(number: number, expiry: expiry, securityCode: securityCode, at: now)
            return nil
        } catch {
            return error.code.rawValue
        }
    }

    @Test("A number with spaces or dashes, an expiry as MM/YY or MM/YYYY, three or four digits of code")
    func accepted() throws {
        let card = try CardEntry(number: "4242 4242-4242 4242", expiry: " 03 / 27 ", securityCode: "1234", at: now)
        #expect(card.number == "4242424242424242" && card.expiryMonth == 3 && card.expiryYear == 2027 && card.securityCode == "1234")
        #expect(try CardEntry(number: "5555555555554444", expiry: "11/2031", securityCode: "000", at: now).expiryYear == 2031)
    }

    @Test("A mistyped digit, letters, too few or too many digits are refused as the number")
    func badNumbers() {
        for number in ["4242 4242 4242 4241", "4242 4242 4242 424x", "42424242424", String(repeating: "0", count: 20), "", "４２４２４２４２４２４２４２４２"] {
            #expect(code(number) == "invalidCardNumber", "\(number)")
        }
    }

    @Test("An expiry last month, a thirteenth month or another shape is refused; this month still goes")
    func expiries() {
        for expiry in ["02/27", "13/30", "00/30", "1230", "12/301", "ab/cd", "12/", "/30"] {
            #expect(code("4242424242424242", expiry) == "invalidCardExpiry", "\(expiry)")
        }
        #expect(code("4242424242424242", "03/27") == nil, "a card is valid to the end of its month")
    }

    @Test("A security code of two or five digits, or with letters, is refused")
    func securityCodes() {
        for securityCode in ["12", "12345", "12a", ""] {
            #expect(code("4242424242424242", "12/30", securityCode) == "invalidSecurityCode", "\(securityCode)")
        }
    }
}
