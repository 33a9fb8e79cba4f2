import CreditsAPI
import CreditsCore
import FuzzSupport

/// The bodies of a call's start, update and end, and a directory number, as the routes read
/// them: accepted or refused with a reason, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    if let start = try? PlatformInput.callStart(body, sessionId: session), start.sessionId != session {
        fatalError("a start was read for another session")
    }
    _ = try? PlatformInput.callUpdate(body)
    _ = try? PlatformInput.callEnd(body)
    _ = try? DirectoryIdentity(String(decoding: body, as: UTF8.self))
    return 0
}

private let session = try! CallSessionId("fuzz-session")

@_cdecl("FuzzCallJSON_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runLibFuzzer(argc, argv, fuzz) }
