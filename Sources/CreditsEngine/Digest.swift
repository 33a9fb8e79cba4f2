import Crypto

/// SHA-256, as lower-case hex: how secrets are stored and requests fingerprinted.
public enum Digest {
    /// The hash of `parts` one after the other, without joining them first.
    public static func sha256Hex(_ parts: [UInt8]...) -> String {
        var hash = SHA256()
        for part in parts { hash.update(data: part) }
        return hash.finalize().map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
}
