import CreditsCore
import FuzzSupport

/// Webhook URLs as a tenant may register them: accepted or refused, never a crash; and what
/// the strict rule accepts names no address that is private as written, and is accepted by the
/// operator's wider rule too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let strict = try? WebhookAddress.parse(text, policy: WebhookAddress.Policy()) {
        if let literal = strict.literal, !IPAddress.isPublic(literal) { fatalError("accepted the private address \(literal)") }
        if strict.scheme != "https" { fatalError("accepted the scheme \(strict.scheme)") }
        let wide = WebhookAddress.Policy(allowsPlainHTTP: true, allowsPrivateAddresses: true)
        guard (try? WebhookAddress.parse(text, policy: wide)) == strict else { fatalError("the wider rule read it otherwise") }
    }
    _ = IPAddress.parseIPv6(Substring(text)).map(IPAddress.isPublic)
    _ = IPAddress.parseIPv4(Substring(text)).map(IPAddress.isPublic)
    return 0
}

@_cdecl("FuzzWebhookURL_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runLibFuzzer(argc, argv, fuzz) }
