import SDP

/// Session descriptions come from the signalling peer. Parsing bytes must never trap, and what
/// parses must be written as text that parses back to an equal description.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let description = try? SessionDescription(parsing: bytes) else { return 0 }
    let text = description.serialized()
    let reparsed: SessionDescription
    do {
        reparsed = try SessionDescription(parsing: text)
    } catch {
        fatalError("SDP round trip: serialized description does not parse: \(error)\n\(text)")
    }
    guard reparsed == description else { fatalError("SDP round trip changed the description:\n\(text)") }
    return 0
}
