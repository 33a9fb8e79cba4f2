public import Hummingbird

/// The cookie an administrator's browser carries after signing in, through the API or the
/// admin center: HttpOnly, SameSite=Lax, Secure unless the service is told otherwise.
public enum SessionCookie {
    public static let name = "commscredits_session"

    public static func make(_ value: String, maxAge: Int, secure: Bool) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }
}
