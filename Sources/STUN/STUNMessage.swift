import TandemBase

/// A STUN message (RFC 8489 §5): method, class, 96-bit transaction ID and ordered attributes.
public struct STUNMessage: Hashable, Sendable {
    public static let headerLength = 20

    public var method: STUNMethod
    public var messageClass: STUNClass
    /// Exactly 12 bytes.
    public var transactionID: [UInt8]
    public var attributes: [STUNAttribute]

    public init(method: STUNMethod, messageClass: STUNClass, transactionID: [UInt8], attributes: [STUNAttribute] = []) {
        precondition(transactionID.count == 12, "a STUN transaction ID is 12 bytes")
        self.method = method
        self.messageClass = messageClass
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// A fresh random transaction ID (RFC 8489 §6: uniformly random).
    public static func randomTransactionID(using random: inout some RandomNumberGenerator) -> [UInt8] {
        random.bytes(12)
    }

    /// Cheap demultiplexing test (RFC 8489 §5, RFC 7983): at least a header, the two leading bits
    /// zero and the magic cookie in place.
    public static func looksLikeSTUN(_ bytes: [UInt8]) -> Bool {
        bytes.count >= headerLength && bytes[0] & 0xC0 == 0
            && bytes[4] == 0x21 && bytes[5] == 0x12 && bytes[6] == 0xA4 && bytes[7] == 0x42
    }

    /// Decodes a whole datagram. Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256
    /// and FINGERPRINT, and anything after FINGERPRINT, are ignored (RFC 8489 §14.5–14.7).
    public static func decode(_ bytes: [UInt8]) throws(STUNError) -> STUNMessage {
        let layout = try STUNLayout(bytes)
        var attributes: [STUNAttribute] = []
        var sawIntegrity = false
        for entry in layout.entries {
            if entry.type == STUNAttributeType.fingerprint {
                attributes.append(try entry.decode(bytes, transactionID: layout.transactionID))
                break
            }
            if sawIntegrity && entry.type != STUNAttributeType.messageIntegritySHA256 { continue }
            if entry.type == STUNAttributeType.messageIntegrity || entry.type == STUNAttributeType.messageIntegritySHA256 {
                sawIntegrity = true
            }
            attributes.append(try entry.decode(bytes, transactionID: layout.transactionID))
        }
        return STUNMessage(method: layout.method, messageClass: layout.messageClass,
                           transactionID: layout.transactionID, attributes: attributes)
    }

    /// Encodes the message, then appends MESSAGE-INTEGRITY (HMAC-SHA1, if `integrityKey` is given and
    /// `.sha1` is asked), MESSAGE-INTEGRITY-SHA256 (if `.sha256` is asked) and FINGERPRINT, each computed
    /// over the bytes before it with the length field already counting it (RFC 8489 §14.5–14.7).
    ///
    /// `paddingByte` fills attribute padding; receivers ignore it (RFC 8489 §14). Zero is customary;
    /// the RFC 5769 vectors use spaces.
    public func encode(integrityKey: [UInt8]? = nil, integrity: [STUNIntegrityAlgorithm] = [.sha1],
                       fingerprint: Bool = false, paddingByte: UInt8 = 0) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.write(STUNMessageType.encode(method: method, messageClass: messageClass))
        w.write(UInt16(0))
        w.write(stunMagicCookie)
        w.write(bytes: transactionID)
        for attribute in attributes {
            Self.append(type: attribute.type, value: attribute.encodeValue(transactionID: transactionID),
                        paddingByte: paddingByte, to: &w)
        }
        if let integrityKey {
            if integrity.contains(.sha1) {
                w.overwrite(UInt16(w.count - Self.headerLength + 4 + 20), at: 2)
                Self.append(type: STUNAttributeType.messageIntegrity,
                            value: STUNCrypto.hmacSHA1(key: integrityKey, data: w.bytes), paddingByte: paddingByte, to: &w)
            }
            if integrity.contains(.sha256) {
                w.overwrite(UInt16(w.count - Self.headerLength + 4 + 32), at: 2)
                Self.append(type: STUNAttributeType.messageIntegritySHA256,
                            value: STUNCrypto.hmacSHA256(key: integrityKey, data: w.bytes), paddingByte: paddingByte, to: &w)
            }
        }
        if fingerprint {
            w.overwrite(UInt16(w.count - Self.headerLength + 8), at: 2)
            var value = ByteWriter(capacity: 4)
            value.write(CRC32.checksum(w.bytes) ^ fingerprintXOR)
            Self.append(type: STUNAttributeType.fingerprint, value: value.bytes, paddingByte: paddingByte, to: &w)
        }
        w.overwrite(UInt16(w.count - Self.headerLength), at: 2)
        return w.bytes
    }

    private static func append(type: UInt16, value: [UInt8], paddingByte: UInt8, to w: inout ByteWriter) {
        w.write(type)
        w.write(UInt16(truncatingIfNeeded: value.count))
        w.write(bytes: value)
        w.write(bytes: repeatElement(paddingByte, count: (4 - value.count % 4) % 4))
    }
}

/// FINGERPRINT is the CRC-32 XORed with 0x5354554e (RFC 8489 §14.7).
let fingerprintXOR: UInt32 = 0x5354_554E

/// Which MESSAGE-INTEGRITY attribute(s) to add (RFC 8489 §14.5, §14.6).
public enum STUNIntegrityAlgorithm: Sendable, Hashable {
    case sha1
    case sha256
}

extension STUNMessage {
    /// The first attribute of the given type, if any.
    public func attribute(ofType type: UInt16) -> STUNAttribute? { attributes.first { $0.type == type } }

    public var username: String? {
        if case let .username(value)? = attribute(ofType: STUNAttributeType.username) { value } else { nil }
    }

    public var xorMappedAddress: TransportAddress? {
        if case let .xorMappedAddress(value)? = attribute(ofType: STUNAttributeType.xorMappedAddress) { value } else { nil }
    }

    public var errorCode: STUNErrorCode? {
        if case let .errorCode(value)? = attribute(ofType: STUNAttributeType.errorCode) { value } else { nil }
    }

    public var priority: UInt32? {
        if case let .priority(value)? = attribute(ofType: STUNAttributeType.priority) { value } else { nil }
    }

    public var hasUseCandidate: Bool { attribute(ofType: STUNAttributeType.useCandidate) != nil }

    public var iceControlling: UInt64? {
        if case let .iceControlling(value)? = attribute(ofType: STUNAttributeType.iceControlling) { value } else { nil }
    }

    public var iceControlled: UInt64? {
        if case let .iceControlled(value)? = attribute(ofType: STUNAttributeType.iceControlled) { value } else { nil }
    }
}
