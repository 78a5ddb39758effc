import TandemBase

/// Variable-length parameters of INIT and INIT ACK (RFC 9260 §3.3.2.1, RFC 3758 §3.1, RFC 5061 §4.2.7).
enum SCTPParameter: Equatable, Sendable {
    case stateCookie([UInt8])
    /// Parameters of the peer's INIT that we did not recognise, echoed back (§3.3.3.1).
    case unrecognizedParameter([UInt8])
    /// RFC 3758 §3.1: the sender can receive FORWARD TSN.
    case forwardTSNSupported
    /// RFC 5061 §4.2.7: chunk types the sender supports beyond the base protocol.
    case supportedExtensions([UInt8])
    /// A parameter we know and ignore (addresses, host name, cookie preservative, ...) or do not know:
    /// its whole TLV, so it can be reported back if its upper bits ask for that (§3.2.1).
    case other(type: UInt16, tlv: [UInt8])

    static let stateCookieType: UInt16 = 7
    static let unrecognizedParameterType: UInt16 = 8
    static let forwardTSNSupportedType: UInt16 = 0xC000
    static let supportedExtensionsType: UInt16 = 0x8008

    /// Types that RFC 9260 defines for INIT/INIT ACK and that a WebRTC association ignores
    /// (IPv4/IPv6 address, cookie preservative, host name, supported address types, ECN capable).
    static let ignoredKnownTypes: Set<UInt16> = [5, 6, 9, 11, 12, 0x8000]

    /// Decodes the parameters after an INIT's fixed fields. A parameter of an unknown type is handled
    /// by its upper two bits (§3.2.1): 00 and 01 stop at it, 10 and 11 skip it; 01 and 11 also put it
    /// into `unrecognized` so the caller can report it.
    static func decodeList(_ reader: inout ByteReader) throws(WireError) -> (parameters: [SCTPParameter], unrecognized: [[UInt8]]) {
        var parameters: [SCTPParameter] = []
        var unrecognized: [[UInt8]] = []
        while reader.remaining >= 4 {
            let start = reader.offset
            let type = try reader.readUInt16()
            let length = Int(try reader.readUInt16())
            guard length >= 4 else { throw .invalid("parameter length \(length) below 4") }
            let value = try reader.readBytes(length - 4)
            try reader.skip(min(padding(length), reader.remaining))
            switch type {
            case stateCookieType: parameters.append(.stateCookie(value))
            case unrecognizedParameterType: parameters.append(.unrecognizedParameter(value))
            case forwardTSNSupportedType: parameters.append(.forwardTSNSupported)
            case supportedExtensionsType: parameters.append(.supportedExtensions(value))
            default:
                let tlv = Array(reader.bytes[start..<start + length])
                if ignoredKnownTypes.contains(type) {
                    parameters.append(.other(type: type, tlv: tlv))
                    continue
                }
                if type & 0x4000 != 0 { unrecognized.append(tlv) }
                if type & 0x8000 == 0 { return (parameters, unrecognized) }
            }
        }
        return (parameters, unrecognized)
    }

    func encode(into writer: inout SCTPPacketWriter) {
        switch self {
        case let .stateCookie(bytes): Self.writeTLV(type: Self.stateCookieType, value: bytes, into: &writer)
        case let .unrecognizedParameter(bytes): Self.writeTLV(type: Self.unrecognizedParameterType, value: bytes, into: &writer)
        case .forwardTSNSupported: Self.writeTLV(type: Self.forwardTSNSupportedType, value: [], into: &writer)
        case let .supportedExtensions(types): Self.writeTLV(type: Self.supportedExtensionsType, value: types, into: &writer)
        case let .other(_, tlv):
            writer.write(bytes: tlv)
            writer.writeZeros(padding(tlv.count))
        }
    }

    static func writeTLV(type: UInt16, value: [UInt8], into writer: inout SCTPPacketWriter) {
        writer.write(type)
        writer.write(UInt16(4 + value.count))
        writer.write(bytes: value)
        writer.writeZeros(padding(4 + value.count))
    }
}

/// Bytes of padding after a field of `length` bytes to reach a multiple of four (RFC 9260 §3.2).
@inline(__always)
func padding(_ length: Int) -> Int { (4 - (length & 3)) & 3 }
