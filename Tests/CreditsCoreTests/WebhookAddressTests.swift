import CreditsCore
import Testing

/// Where webhooks may point (`WebhookAddress`): the forms an attacker uses to reach the
/// service's own network are refused, however they are written.
@Suite struct WebhookAddressTests {
    let strict = WebhookAddress.Policy()

    @Test(arguments: [
        "https://hooks.example.com/credits?x=1", "https://hooks.example.com:8443/a", "https://93.184.216.34/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook", "HTTPS://Hooks.Example.COM/",
    ])
    func publicHTTPSAddressesAreAccepted(_ url: String) throws {
        _ = try WebhookAddress.parse(url, policy: strict)
    }

    @Test(arguments: [
        "http://hooks.example.com/", "ftp://example.com/", "https:///path", "hooks.example.com", "https://example.com/a b", "",
        "https://localhost/", "https://LOCALHOST:8080/", "https://api.localhost/", "https://printer.local/", "https://db.internal/",
        "https://127.0.0.1/", "https://127.1/", "https://2130706433/", "https://0x7f000001/", "https://0177.0.0.1/", "https://017700000001/",
        "https://10.0.0.5/", "https://172.16.3.4/", "https://192.168.1.1/", "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/", "https://0.0.0.0/", "https://224.0.0.1/", "https://255.255.255.255/", "https://198.51.100.7/",
        "https://[::1]/", "https://[::]/", "https://[fe80::1]/", "https://[fd00::1]/", "https://[ff02::1]/", "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:7f00:1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:7f00:1::]/",
        "https://user:pass@hooks.example.com/", "https://hooks.example.com@127.0.0.1/", "https://hooks.example.com\\@127.0.0.1/",
        "https://hooks.example.com:0/", "https://hooks.example.com:65536/", "https://hooks.example.com:80a/", "https://-bad-.example.com/",
        "https://exa mple.com/", "https://ex\u{0}ample.com/", "https://例え.jp/",
    ])
    func privateOrObscureAddressesAreRefused(_ url: String) {
        #expect(throws: Refusal.self, "\(url)") { try WebhookAddress.parse(url, policy: strict) }
    }

    @Test func anOperatorMayAllowPlainHTTPAndAddressesBesideTheService() throws {
        let beside = WebhookAddress.Policy(allowsPlainHTTP: true, allowsPrivateAddresses: true)
        let address = try WebhookAddress.parse("http://127.0.0.1:8081/hook", policy: beside)
        #expect(address.host == "127.0.0.1" && address.port == 8081 && address.literal == [127, 0, 0, 1])
        #expect(throws: Refusal.self) {
            try WebhookAddress.parse("http://127.0.0.1:8081/hook", policy: WebhookAddress.Policy(allowsPlainHTTP: true))
        }
        #expect(throws: Refusal.self, "a user name is never allowed") {
            try WebhookAddress.parse("http://a@127.0.0.1/", policy: beside)
        }
    }

    @Test func addressesAreJudgedByTheirBytes() {
        #expect(IPAddress.isPublic([8, 8, 8, 8]))
        #expect(!IPAddress.isPublic([172, 31, 255, 255]) && IPAddress.isPublic([172, 32, 0, 0]))
        #expect(!IPAddress.isPublic([100, 127, 0, 1]) && IPAddress.isPublic([100, 128, 0, 1]))
        #expect(IPAddress.parseIPv6("2001:4860:4860::8888").map(IPAddress.isPublic) == true)
        #expect(IPAddress.parseIPv6("::ffff:8.8.8.8").map(IPAddress.isPublic) == true)
        #expect(IPAddress.parseIPv6("1:2:3:4:5:6:7:8:9") == nil && IPAddress.parseIPv6("1::2::3") == nil && IPAddress.parseIPv6(":::") == nil)
        #expect(IPAddress.parseIPv4("1.2.3") == nil && IPAddress.parseIPv4("1.2.3.256") == nil && IPAddress.parseIPv4("01.2.3.4") == nil)
    }
}
