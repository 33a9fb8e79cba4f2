import Crypto

/// SHA-256 and HMAC-SHA256, as lower-case hex: how secrets are stored, requests fingerprinted
/// and webhook deliveries signed.
public enum Digest {
    /// The hash of `parts` one after the other, without joining them first.
    public static func sha256Hex(_ parts: [UInt8]...) -> String {
        var hash = SHA256()
        for part in parts { hash.update(data: part) }
        return hex(hash.finalize())
    }

    /// HMAC-SHA256 of `message` keyed with `key`: how webhook deliveries are signed.
    public static func hmacSHA256Hex(key: [UInt8], message: [UInt8]) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
}
