import RTP

/// IVF files are read from disk for test clips; a damaged file must fail with an error, and the
/// frames read can never hold more bytes than the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard var reader = try? IVFReader(bytes) else { return 0 }
    var frameBytes = 0
    while let frame = try? reader.nextFrame() {
        frameBytes += 12 + frame.data.count
        guard 32 + frameBytes <= bytes.count else { fatalError("IVF frames hold more bytes than the \(bytes.count)-byte file") }
    }
    return 0
}
