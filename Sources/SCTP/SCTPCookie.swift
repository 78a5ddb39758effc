import COpenSSL
import CTandemShims
import TandemBase

/// The State Cookie (RFC 9260 §5.1.3): everything the association needs from the peer's INIT,
/// carried by the peer and authenticated with an HMAC-SHA256 under a secret only we know, so an
/// INIT costs us no state until the COOKIE ECHO comes back.
struct SCTPCookie: Equatable {
    var localTag: UInt32
    var localInitialTSN: UInt32
    var peerTag: UInt32
    var peerInitialTSN: UInt32
    var peerReceiverWindow: UInt32
    var peerOutboundStreams: UInt16
    var peerInboundStreams: UInt16
    var peerSupportsForwardTSN: Bool
    var peerSupportsReconfig: Bool
    var peerSupportsInterleaving = false
    var createdAt: Instant

    static let version: UInt8 = 1
    static let bodySize = 1 + 4 * 5 + 2 * 2 + 1 + 8
    static let macSize = 32

    func seal(secret: [UInt8]) -> [UInt8] {
        var writer = SCTPPacketWriter(capacity: Self.bodySize + Self.macSize)
        writer.write(Self.version)
        writer.write(localTag)
        writer.write(localInitialTSN)
        writer.write(peerTag)
        writer.write(peerInitialTSN)
        writer.write(peerReceiverWindow)
        writer.write(peerOutboundStreams)
        writer.write(peerInboundStreams)
        writer.write(UInt8((peerSupportsForwardTSN ? 1 : 0) | (peerSupportsReconfig ? 2 : 0) | (peerSupportsInterleaving ? 4 : 0)))
        writer.write(UInt32(truncatingIfNeeded: UInt64(bitPattern: createdAt.nanoseconds) >> 32))
        writer.write(UInt32(truncatingIfNeeded: UInt64(bitPattern: createdAt.nanoseconds)))
        var bytes = writer.take()
        bytes += Self.hmacSHA256(key: secret, data: bytes)
        return bytes
    }

    /// Checks the MAC and returns the cookie; nil if it is not one of ours (§5.1.5 step 1-2).
    static func open(_ bytes: [UInt8], secret: [UInt8]) -> SCTPCookie? {
        guard bytes.count == bodySize + macSize, bytes[0] == version else { return nil }
        let body = Array(bytes[0..<bodySize])
        guard ConstantTime.equal(hmacSHA256(key: secret, data: body), Array(bytes[bodySize...])) else { return nil }
        var reader = ByteReader(body, from: 1)
        do {
            let localTag = try reader.readUInt32()
            let localTSN = try reader.readUInt32()
            let peerTag = try reader.readUInt32()
            let peerTSN = try reader.readUInt32()
            let window = try reader.readUInt32()
            let outbound = try reader.readUInt16()
            let inbound = try reader.readUInt16()
            let flags = try reader.readUInt8()
            let created = Int64(bitPattern: try reader.readUInt64())
            return SCTPCookie(localTag: localTag, localInitialTSN: localTSN, peerTag: peerTag, peerInitialTSN: peerTSN,
                              peerReceiverWindow: window, peerOutboundStreams: outbound, peerInboundStreams: inbound,
                              peerSupportsForwardTSN: flags & 1 != 0, peerSupportsReconfig: flags & 2 != 0,
                              peerSupportsInterleaving: flags & 4 != 0, createdAt: Instant(nanoseconds: created))
        } catch {
            return nil
        }
    }

    static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: macSize)
        var outLength: UInt32 = 0
        key.withUnsafeBufferPointer { keyPointer in
            data.withUnsafeBufferPointer { dataPointer in
                out.withUnsafeMutableBufferPointer { outPointer in
                    _ = HMAC(EVP_sha256(), keyPointer.baseAddress, Int32(key.count), dataPointer.baseAddress, data.count,
                             outPointer.baseAddress, &outLength)
                }
            }
        }
        precondition(outLength == UInt32(macSize), "OpenSSL HMAC-SHA256 failed")
        return out
    }
}
