import Media

/// WAV files are read from the user's disk for the voice test source. What parses must serialise and
/// parse back to the same audio.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let audio = try? WAVAudio(parsing: bytes) else { return 0 }
    guard let reparsed = try? WAVAudio(parsing: audio.serialize()), reparsed == audio else {
        fatalError("WAV round trip failed")
    }
    return 0
}
