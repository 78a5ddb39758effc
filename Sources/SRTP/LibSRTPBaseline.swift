import CSRTP

/// A reference point for benchmarks: libsrtp2 driven directly from one preallocated buffer, with no Swift
/// arrays per packet, so `SRTPSession`'s own overhead can be measured against it.
public enum LibSRTPBaseline {
    /// Protects `packetCount` RTP packets of `packetSize` bytes (header included, sequence numbers 1, 2, …,
    /// SSRC 0x5A5A5A5A) with the client-side send key, and returns the last protected packet.
    public static func protectPackets(
        count packetCount: Int, packetSize: Int, profile: SRTPProtectionProfile, keyingMaterial: [UInt8]
    ) throws(SRTPError) -> [UInt8] {
        guard packetSize >= 12 else { throw .malformedPacket("packet size \(packetSize) is below the 12-byte RTP header") }
        guard keyingMaterial.count == profile.keyingMaterialLength else {
            throw .invalidKeyingMaterial(expected: profile.keyingMaterialLength, actual: keyingMaterial.count)
        }
        let keyLength = profile.masterKeyLength
        let saltStart = 2 * keyLength
        let context = try SRTPContext(
            profile: profile, masterKey: Array(keyingMaterial[0..<keyLength]),
            masterSalt: Array(keyingMaterial[saltStart..<saltStart + profile.masterSaltLength]),
            direction: .outbound, replayWindow: 1024)
        var buffer = [UInt8](repeating: 0xAB, count: packetSize + LibSRTP.maximumTrailerLength)
        var protectedLength: Int32 = 0
        let status = try context.withSession { session in
            buffer.withUnsafeMutableBytes { bytes in
                for index in 0..<packetCount {
                    let sequence = UInt16(truncatingIfNeeded: index + 1)
                    let header: [UInt8] = [0x80, 96, UInt8(sequence >> 8), UInt8(sequence & 0xFF),
                                           0, 0, 0, UInt8(truncatingIfNeeded: index), 0x5A, 0x5A, 0x5A, 0x5A]
                    for (offset, byte) in header.enumerated() { bytes[offset] = byte }
                    protectedLength = Int32(packetSize)
                    let status = srtp_protect(session, bytes.baseAddress, &protectedLength)
                    guard status == srtp_err_status_ok else { return status }
                }
                return srtp_err_status_ok
            }
        }
        guard status == srtp_err_status_ok else { throw SRTPError(status: status, operation: "srtp_protect") }
        return Array(buffer.prefix(Int(protectedLength)))
    }
}
