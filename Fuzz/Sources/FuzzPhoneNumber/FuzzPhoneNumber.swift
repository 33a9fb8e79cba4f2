import CreditsCore
import FuzzSupport

/// E.164 numbers and rate deck prefixes: what is accepted has 1 to 15 digits, the first not 0,
/// writes out and reads back as itself, and finds its country without a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let number = try? PhoneNumber(text) {
        guard (1...PhoneNumber.maximumDigits).contains(number.digits.count), number.digits.first != 0,
            (try? PhoneNumber(number.description)) == number
        else { fatalError("the number \(number) is not what was read") }
        _ = NumberingPlan.country(of: number)
    }
    if let prefix = try? DialPrefix(text), (try? DialPrefix(prefix.description)) != prefix {
        fatalError("the prefix \(prefix) does not read back as itself")
    }
    return 0
}

@_cdecl("FuzzPhoneNumber_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runLibFuzzer(argc, argv, fuzz) }
