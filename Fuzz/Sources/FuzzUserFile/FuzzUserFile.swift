import CreditsCore
import FuzzSupport

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

@_cdecl("FuzzUserFile_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runLibFuzzer(argc, argv, fuzz) }
