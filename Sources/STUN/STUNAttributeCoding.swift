import TandemBase

/// The magic cookie (RFC 8489 §5).
let stunMagicCookie: UInt32 = 0x2112_A442

extension STUNAttribute {
    /// The attribute's value bytes, without header or padding.
    func encodeValue(transactionID: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .mappedAddress(address), let .alternateServer(address):
            Self.writeAddress(address, xorWith: nil, into: &w)
        case let .xorMappedAddress(address), let .xorPeerAddress(address), let .xorRelayedAddress(address):
            Self.writeAddress(address, xorWith: transactionID, into: &w)
        case let .username(text), let .realm(text), let .nonce(text), let .software(text):
            w.write(bytes: Array(text.utf8))
        case let .userhash(bytes), let .messageIntegrity(bytes), let .messageIntegritySHA256(bytes),
             let .data(bytes), let .reservationToken(bytes), let .unknown(_, bytes):
            w.write(bytes: bytes)
        case let .fingerprint(value), let .priority(value), let .lifetime(value):
            w.write(value)
        case let .errorCode(error):
            // RFC 8489 §14.8: 21 reserved bits, 3-bit class, 8-bit number, then the reason phrase.
            w.write(UInt16(0))
            w.write(UInt8(truncatingIfNeeded: error.code / 100))
            w.write(UInt8(truncatingIfNeeded: error.code % 100))
            w.write(bytes: Array(error.reason.utf8))
        case let .passwordAlgorithms(list):
            for algorithm in list { Self.writePasswordAlgorithm(algorithm, into: &w) }
        case let .passwordAlgorithm(algorithm):
            Self.writePasswordAlgorithm(algorithm, into: &w)
        case let .unknownAttributes(types):
            for type in types { w.write(type) }
        case .useCandidate, .dontFragment:
            break
        case let .iceControlled(tieBreaker), let .iceControlling(tieBreaker):
            w.write(tieBreaker)
        case let .channelNumber(number):
            // RFC 8656 §18.1: channel number then 16 RFFU bits.
            w.write(number)
            w.write(UInt16(0))
        case let .requestedTransport(protocolNumber):
            // RFC 8656 §18.7: protocol then 24 RFFU bits.
            w.write(protocolNumber)
            w.writeUInt24(0)
        case let .evenPort(reserveNext):
            w.write(UInt8(reserveNext ? 0x80 : 0))
        }
        return w.bytes
    }

    /// Decodes one attribute value; `transactionID` is needed for the XOR address family.
    static func decode(type: UInt16, value: [UInt8], transactionID: [UInt8]) throws(STUNError) -> STUNAttribute {
        typealias T = STUNAttributeType
        func exact(_ length: Int) throws(STUNError) {
            guard value.count == length else { throw .badAttributeLength(type: type, length: value.count) }
        }
        func text() throws(STUNError) -> String {
            guard let string = String(validating: value, as: UTF8.self) else { throw .badText(type: type) }
            return string
        }
        func uint32() throws(STUNError) -> UInt32 {
            try exact(4)
            return value.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
        }
        func uint64() throws(STUNError) -> UInt64 {
            try exact(8)
            return value.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
        switch type {
        case T.mappedAddress: return .mappedAddress(try readAddress(value, type: type, xorWith: nil))
        case T.alternateServer: return .alternateServer(try readAddress(value, type: type, xorWith: nil))
        case T.xorMappedAddress: return .xorMappedAddress(try readAddress(value, type: type, xorWith: transactionID))
        case T.xorPeerAddress: return .xorPeerAddress(try readAddress(value, type: type, xorWith: transactionID))
        case T.xorRelayedAddress: return .xorRelayedAddress(try readAddress(value, type: type, xorWith: transactionID))
        case T.username: return .username(try text())
        case T.realm: return .realm(try text())
        case T.nonce: return .nonce(try text())
        case T.software: return .software(try text())
        case T.userhash:
            try exact(32)
            return .userhash(value)
        case T.messageIntegrity:
            try exact(20)
            return .messageIntegrity(value)
        case T.messageIntegritySHA256:
            // RFC 8489 §14.6: at least 16 bytes, at most 32, a multiple of 4.
            guard (16...32).contains(value.count), value.count % 4 == 0 else {
                throw .badAttributeLength(type: type, length: value.count)
            }
            return .messageIntegritySHA256(value)
        case T.fingerprint: return .fingerprint(try uint32())
        case T.priority: return .priority(try uint32())
        case T.lifetime: return .lifetime(seconds: try uint32())
        case T.errorCode:
            guard value.count >= 4 else { throw .badAttributeLength(type: type, length: value.count) }
            let errorClass = UInt16(value[2] & 0x07)
            let number = UInt16(value[3])
            guard (3...6).contains(errorClass), number < 100 else {
                throw .invalidAttribute(type: type, reason: "error code \(errorClass)\(number) out of range")
            }
            guard let reason = String(validating: value[4...], as: UTF8.self) else { throw .badText(type: type) }
            return .errorCode(STUNErrorCode(code: errorClass * 100 + number, reason: reason))
        case T.passwordAlgorithms:
            var reader = ByteReader(value)
            var list: [STUNPasswordAlgorithm] = []
            while !reader.isAtEnd { list.append(try readPasswordAlgorithm(&reader, type: type)) }
            return .passwordAlgorithms(list)
        case T.passwordAlgorithm:
            var reader = ByteReader(value)
            let algorithm = try readPasswordAlgorithm(&reader, type: type)
            guard reader.isAtEnd else { throw .badAttributeLength(type: type, length: value.count) }
            return .passwordAlgorithm(algorithm)
        case T.unknownAttributes:
            guard value.count % 2 == 0 else { throw .badAttributeLength(type: type, length: value.count) }
            return .unknownAttributes(stride(from: 0, to: value.count, by: 2).map { UInt16(value[$0]) << 8 | UInt16(value[$0 + 1]) })
        case T.useCandidate:
            try exact(0)
            return .useCandidate
        case T.dontFragment:
            try exact(0)
            return .dontFragment
        case T.iceControlled: return .iceControlled(tieBreaker: try uint64())
        case T.iceControlling: return .iceControlling(tieBreaker: try uint64())
        case T.channelNumber:
            try exact(4)
            return .channelNumber(UInt16(value[0]) << 8 | UInt16(value[1]))
        case T.requestedTransport:
            try exact(4)
            return .requestedTransport(protocolNumber: value[0])
        case T.evenPort:
            try exact(1)
            return .evenPort(reserveNext: value[0] & 0x80 != 0)
        case T.reservationToken:
            try exact(8)
            return .reservationToken(value)
        case T.data:
            return .data(value)
        default:
            return .unknown(type: type, value: value)
        }
    }

    /// (X-)address encoding (RFC 8489 §14.1, §14.2): 0, family, port, address; XOR with the cookie
    /// (and, for IPv6, the cookie followed by the transaction ID).
    private static func writeAddress(_ address: TransportAddress, xorWith transactionID: [UInt8]?, into w: inout ByteWriter) {
        w.write(UInt8(0))
        w.write(UInt8(address.ip.isIPv4 ? 0x01 : 0x02))
        var bytes = address.ip.bytes
        if let transactionID {
            w.write(address.port ^ UInt16(stunMagicCookie >> 16))
            let mask = xorMask(transactionID)
            for i in bytes.indices { bytes[i] ^= mask[i] }
        } else {
            w.write(address.port)
        }
        w.write(bytes: bytes)
    }

    private static func readAddress(_ value: [UInt8], type: UInt16, xorWith transactionID: [UInt8]?) throws(STUNError) -> TransportAddress {
        guard value.count >= 4 else { throw .badAttributeLength(type: type, length: value.count) }
        let family = value[1]
        let addressLength: Int
        switch family {
        case 0x01: addressLength = 4
        case 0x02: addressLength = 16
        default: throw .badAddressFamily(family)
        }
        guard value.count == 4 + addressLength else { throw .badAttributeLength(type: type, length: value.count) }
        var port = UInt16(value[2]) << 8 | UInt16(value[3])
        var bytes = Array(value[4...])
        if let transactionID {
            port ^= UInt16(stunMagicCookie >> 16)
            let mask = xorMask(transactionID)
            for i in bytes.indices { bytes[i] ^= mask[i] }
        }
        guard let ip = IPAddress(bytes: bytes) else { throw .badAddressFamily(family) }
        return TransportAddress(ip: ip, port: port)
    }

    private static func xorMask(_ transactionID: [UInt8]) -> [UInt8] {
        [UInt8(stunMagicCookie >> 24), UInt8(stunMagicCookie >> 16 & 0xFF), UInt8(stunMagicCookie >> 8 & 0xFF), UInt8(stunMagicCookie & 0xFF)]
            + transactionID
    }

    private static func writePasswordAlgorithm(_ algorithm: STUNPasswordAlgorithm, into w: inout ByteWriter) {
        w.write(algorithm.algorithm)
        w.write(UInt16(truncatingIfNeeded: algorithm.parameters.count))
        w.write(bytes: algorithm.parameters)
        w.writeZeros((4 - algorithm.parameters.count % 4) % 4)
    }

    private static func readPasswordAlgorithm(_ reader: inout ByteReader, type: UInt16) throws(STUNError) -> STUNPasswordAlgorithm {
        do {
            let algorithm = try reader.readUInt16()
            let length = Int(try reader.readUInt16())
            let parameters = try reader.readBytes(length)
            try reader.skip((4 - length % 4) % 4)
            return STUNPasswordAlgorithm(algorithm: algorithm, parameters: parameters)
        } catch {
            throw .invalidAttribute(type: type, reason: "password algorithm entry truncated")
        }
    }
}
