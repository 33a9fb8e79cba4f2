import CreditsAPI
import CreditsCore
import FuzzSupport

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

@_cdecl("FuzzUsageJSON_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runLibFuzzer(argc, argv, fuzz) }
