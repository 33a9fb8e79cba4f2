public import Hummingbird

/// The headers of every HTML page the service draws: never cached, never framed, never read as
/// another type, and allowed to load nothing but its own stylesheet and images, so that text an
/// attacker managed to put on a page could run nothing.
/// A page that carries its own `<style>` (the printable invoice) allows inline styles, never scripts.
public enum PageHeaders {
    public static func contentSecurityPolicy(inlineStyle: Bool = false) -> String {
        "default-src 'none'; style-src \(inlineStyle ? "'unsafe-inline'" : "'self'"); img-src 'self' data:; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'"
    }

    public static func html(inlineStyle: Bool = false) -> HTTPFields {
        [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
            .contentSecurityPolicy: contentSecurityPolicy(inlineStyle: inlineStyle),
            .init("X-Frame-Options")!: "DENY",
            .init("X-Content-Type-Options")!: "nosniff",
            .init("Referrer-Policy")!: "no-referrer",
        ]
    }
}
