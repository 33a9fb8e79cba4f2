import CreditsAPI
import CreditsCore

/// A batch of usage records, as the route reads it: each record accepted or refused alone with
/// its reason, never a crash; an accepted record keeps the usage id it was sent with.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let records = try? PlatformInput.usageRecords(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    for record in records {
        if case let .success(upload) = record.upload, upload.usageId.rawValue != record.usageId {
            fatalError("record \(record.usageId) was read as \(upload.usageId)")
        }
    }
    return 0
}

/// The executable's entry point, under the name SwiftPM links as `main`: hands over to libFuzzer.
@_cdecl("FuzzUsageJSON_main")
func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt
