import TandemBase

/// Address text comes from SDP candidates and configuration: parsing must never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let address = IPAddress(text) { _ = IPAddress(address.description) }
    _ = TransportAddress(text)
    return 0
}
