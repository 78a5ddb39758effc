import STUN

/// STUN arrives from anyone who can reach a socket: decoding and verification must never trap,
/// and whatever decodes must survive a re-encode (RFC 8489 §14: attributes are TLVs padded to 4).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = STUNMessage.looksLikeSTUN(bytes)
    guard let message = try? STUNMessage.decode(bytes) else { return 0 }
    _ = STUNMessage.verifyFingerprint(bytes)
    _ = STUNMessage.verifyMessageIntegrity(bytes, key: Array("password".utf8))
    _ = STUNMessage.verifyMessageIntegritySHA256(bytes, key: Array("password".utf8))
    _ = (message.username, message.xorMappedAddress, message.errorCode, message.priority)
    let reencoded = message.encode()
    guard let again = try? STUNMessage.decode(reencoded) else {
        fatalError("a decoded STUN message did not decode after re-encoding")
    }
    guard again.method == message.method, again.messageClass == message.messageClass,
          again.transactionID == message.transactionID else {
        fatalError("STUN header changed in a round trip")
    }
    return 0
}
