import CreditsCore

/// A user file and a file of sign-in names: read, or refused line by line; every name read is
/// one that reads again as itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var names: [UserPrincipalName] = []
    if case let .success(users) = UserFiles.users(bytes) { names += users.map(\.value.upn) }
    if case let .success(lines) = UserFiles.principalNames(bytes) { names += lines.map(\.value) }
    for name in names where (try? UserPrincipalName(name.rawValue)) != name {
        fatalError("the name \(name) does not read back as itself")
    }
    return 0
}

/// The executable's entry point, under the name SwiftPM links as `main`: hands over to libFuzzer.
@_cdecl("FuzzUserFile_main")
func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt
