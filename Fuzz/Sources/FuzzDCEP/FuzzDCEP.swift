import DataChannel

/// DCEP messages (RFC 8832 §5) arrive from the peer on every new in-band data channel. What parses
/// must serialise and parse back to the same message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? DCEPMessage(parsing: bytes) else { return 0 }
    guard let reparsed = try? DCEPMessage(parsing: message.serialized()), reparsed == message else {
        fatalError("DCEP round trip failed for \(message)")
    }
    return 0
}
