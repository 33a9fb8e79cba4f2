import CreditsAPI
import CreditsCore

/// The bodies of a call's start, update and end, as the routes read them: accepted or refused
/// with a reason, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    if let start = try? PlatformInput.callStart(body, sessionId: session), start.sessionId != session {
        fatalError("a start was read for another session")
    }
    _ = try? PlatformInput.callUpdate(body)
    _ = try? PlatformInput.callEnd(body)
    return 0
}

private let session = try! CallSessionId("fuzz-session")

/// The executable's entry point, under the name SwiftPM links as `main`: hands over to libFuzzer.
@_cdecl("FuzzCallJSON_main")
func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt
