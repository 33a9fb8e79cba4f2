import CreditsCore
import FuzzSupport

/// A rate deck upload: read, or refused line by line; a deck that is read writes out and reads
/// back as the same rates.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard case let .success(rates) = RateDeckFile.rates(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    guard case let .success(again) = RateDeckFile.rates(Array(RateDeckFile.csv(rates).utf8)), again == rates else {
        fatalError("a deck that was read does not read back the same")
    }
    return 0
}

@_cdecl("FuzzRateDeck_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runLibFuzzer(argc, argv, fuzz) }
