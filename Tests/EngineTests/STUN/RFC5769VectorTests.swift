import Testing
import TandemBase
@testable import STUN

/// RFC 5769 test vectors (the hex is the RFC's own data).
enum RFC5769 {
    static let password = "VOkJxbRl1RmTxUk/WvJxBt"
    static let transactionID = Hex.decode("b7e7a701bc34d686fa87dfae")!

    /// §2.1 Sample Request.
    static let request = Hex.decode("""
        00010058 2112a442 b7e7a701 bc34d686 fa87dfae
        80220010 5354554e 20746573 7420636c 69656e74
        00240004 6e0001ff
        80290008 932ff9b1 51263b36
        00060009 6576746a 3a683676 59202020
        00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2
        80280004 e57a3bcf
        """)!

    /// §2.2 Sample IPv4 Response.
    static let ipv4Response = Hex.decode("""
        0101003c 2112a442 b7e7a701 bc34d686 fa87dfae
        8022000b 74657374 20766563 746f7220
        00200008 0001a147 e112a643
        00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7
        80280004 c07d4c96
        """)!

    /// §2.3 Sample IPv6 Response.
    static let ipv6Response = Hex.decode("""
        01010048 2112a442 b7e7a701 bc34d686 fa87dfae
        8022000b 74657374 20766563 746f7220
        00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9
        00080014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41
        80280004 c8fb0b4c
        """)!

    /// §2.4 Sample Request with Long-Term Authentication.
    static let longTermRequest = Hex.decode("""
        00010060 2112a442 78ad3433 c6ad72c0 29da412e
        00060012 e3839ee3 8388e383 aae38383 e382afe3 82b90000
        0015001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341
        0014000b 6578616d 706c652e 6f726700
        00080014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666
        """)!
    static let longTermUsername = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}"
    /// "The<U+00AD>M<U+00AA>tr<U+2168>" after SASLprep.
    static let longTermPassword = "TheMatrIX"
}

@Suite struct STUNVectorTests {
    let shortTermKey = STUNCredentials.shortTermKey(password: RFC5769.password)

    @Test func sampleRequestDecodesAndVerifies() throws {
        let message = try STUNMessage.decode(RFC5769.request)
        #expect(message.method == .binding)
        #expect(message.messageClass == .request)
        #expect(message.transactionID == RFC5769.transactionID)
        #expect(message.attributes.map(\.type) == [0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028])
        #expect(message.attribute(ofType: STUNAttributeType.software) == .software("STUN test client"))
        #expect(message.priority == 0x6e0001ff)
        #expect(message.iceControlled == 0x932ff9b151263b36)
        #expect(message.username == "evtj:h6vY")
        #expect(STUNMessage.verifyMessageIntegrity(RFC5769.request, key: shortTermKey) == .valid)
        #expect(STUNMessage.verifyFingerprint(RFC5769.request) == .valid)
        #expect(STUNMessage.verifyMessageIntegrity(RFC5769.request, key: Array("wrong".utf8)) == .mismatch)
    }

    @Test func sampleRequestReencodesByteForByte() throws {
        let message = try STUNMessage.decode(RFC5769.request)
        let body = STUNMessage(method: message.method, messageClass: message.messageClass,
                               transactionID: message.transactionID,
                               attributes: Array(message.attributes.prefix(4)))
        let encoded = body.encode(integrityKey: shortTermKey, fingerprint: true, paddingByte: 0x20)
        #expect(encoded == RFC5769.request)
    }

    @Test func ipv4ResponseDecodesVerifiesAndReencodes() throws {
        let message = try STUNMessage.decode(RFC5769.ipv4Response)
        #expect(message.messageClass == .successResponse)
        #expect(message.xorMappedAddress == TransportAddress("192.0.2.1:32853"))
        #expect(message.attribute(ofType: STUNAttributeType.software) == .software("test vector"))
        #expect(STUNMessage.verifyMessageIntegrity(RFC5769.ipv4Response, key: shortTermKey) == .valid)
        #expect(STUNMessage.verifyFingerprint(RFC5769.ipv4Response) == .valid)
        let body = STUNMessage(method: .binding, messageClass: .successResponse, transactionID: RFC5769.transactionID,
                               attributes: [.software("test vector"), .xorMappedAddress(TransportAddress("192.0.2.1:32853")!)])
        #expect(body.encode(integrityKey: shortTermKey, fingerprint: true, paddingByte: 0x20) == RFC5769.ipv4Response)
    }

    @Test func ipv6ResponseDecodesVerifiesAndReencodes() throws {
        let message = try STUNMessage.decode(RFC5769.ipv6Response)
        let mapped = TransportAddress("[2001:db8:1234:5678:11:2233:4455:6677]:32853")!
        #expect(message.xorMappedAddress == mapped)
        #expect(STUNMessage.verifyMessageIntegrity(RFC5769.ipv6Response, key: shortTermKey) == .valid)
        #expect(STUNMessage.verifyFingerprint(RFC5769.ipv6Response) == .valid)
        let body = STUNMessage(method: .binding, messageClass: .successResponse, transactionID: RFC5769.transactionID,
                               attributes: [.software("test vector"), .xorMappedAddress(mapped)])
        #expect(body.encode(integrityKey: shortTermKey, fingerprint: true, paddingByte: 0x20) == RFC5769.ipv6Response)
    }

    @Test func longTermRequestDecodesVerifiesAndReencodes() throws {
        let message = try STUNMessage.decode(RFC5769.longTermRequest)
        #expect(message.username == RFC5769.longTermUsername)
        #expect(message.attribute(ofType: STUNAttributeType.nonce) == .nonce("f//499k954d6OL34oL9FSTvy64sA"))
        #expect(message.attribute(ofType: STUNAttributeType.realm) == .realm("example.org"))
        let key = STUNCredentials.longTermKey(username: RFC5769.longTermUsername, realm: "example.org",
                                              password: RFC5769.longTermPassword)
        #expect(STUNMessage.verifyMessageIntegrity(RFC5769.longTermRequest, key: key) == .valid)
        #expect(STUNMessage.verifyFingerprint(RFC5769.longTermRequest) == .missing)
        let body = STUNMessage(method: .binding, messageClass: .request, transactionID: message.transactionID,
                               attributes: Array(message.attributes.prefix(3)))
        #expect(body.encode(integrityKey: key) == RFC5769.longTermRequest)
    }

    @Test func sha256IntegrityRoundTrips() throws {
        let key = STUNCredentials.longTermKey(username: "user", realm: "realm", password: "pass", algorithm: .sha256)
        #expect(key.count == 32)
        let message = STUNMessage(method: .allocate, messageClass: .request, transactionID: RFC5769.transactionID,
                                  attributes: [.requestedTransport(protocolNumber: 17)])
        let bytes = message.encode(integrityKey: key, integrity: [.sha1, .sha256], fingerprint: true)
        #expect(STUNMessage.verifyMessageIntegrity(bytes, key: key) == .valid)
        #expect(STUNMessage.verifyMessageIntegritySHA256(bytes, key: key) == .valid)
        #expect(STUNMessage.verifyMessageIntegritySHA256(bytes, key: Array(key.reversed())) == .mismatch)
        #expect(STUNMessage.verifyFingerprint(bytes) == .valid)
        let decoded = try STUNMessage.decode(bytes)
        #expect(decoded.attributes.map(\.type) == [0x0019, 0x0008, 0x001C, 0x8028])
    }
}
