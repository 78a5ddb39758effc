#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SDP

/// `{"type": …, "sdp": …}` bodies come from HTTP clients: decoding and parsing them must never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(bytes: data, count: size)
    guard let message = try? JSONDecoder().decode(SessionDescriptionMessage.self, from: body) else { return 0 }
    _ = try? message.parsed()
    return 0
}
