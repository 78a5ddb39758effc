import Testing
import TandemBase
@testable import STUN

@Suite struct STUNAttributeTests {
    static let transactionID: [UInt8] = Array(1...12)

    static let everyAttribute: [STUNAttribute] = [
        .mappedAddress(TransportAddress("192.0.2.7:3478")!),
        .xorMappedAddress(TransportAddress("[2001:db8::9]:50000")!),
        .xorPeerAddress(TransportAddress("198.51.100.2:9")!),
        .xorRelayedAddress(TransportAddress("[2001:db8:1::1]:49152")!),
        .alternateServer(TransportAddress("[::1]:3479")!),
        .username("user:name"),
        .userhash([UInt8](repeating: 0xAB, count: 32)),
        .messageIntegrity(Array(0..<20)),
        .messageIntegritySHA256(Array(0..<32)),
        .fingerprint(0xDEADBEEF),
        .errorCode(STUNErrorCode(code: 487, reason: "Role Conflict")),
        .realm("example.org"),
        .nonce("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"),
        .passwordAlgorithms([.md5, .sha256, STUNPasswordAlgorithm(algorithm: 7, parameters: [1, 2, 3])]),
        .passwordAlgorithm(.sha256),
        .unknownAttributes([0x0031, 0x0032, 0x0033]),
        .software("Tandem 1.0"),
        .priority(0x6E00_01FF),
        .useCandidate,
        .iceControlled(tieBreaker: 0x0102_0304_0506_0708),
        .iceControlling(tieBreaker: 0xFFFF_FFFF_FFFF_FFFF),
        .channelNumber(0x4001),
        .lifetime(seconds: 600),
        .data([9, 8, 7, 6, 5]),
        .requestedTransport(protocolNumber: 17),
        .dontFragment,
        .evenPort(reserveNext: true),
        .reservationToken(Array(10..<18)),
        .unknown(type: 0x7F01, value: [1, 2, 3]),
        .unknown(type: 0xC001, value: []),
    ]

    @Test(arguments: everyAttribute)
    func roundTrips(_ attribute: STUNAttribute) throws {
        let message = STUNMessage(method: .binding, messageClass: .indication, transactionID: Self.transactionID,
                                  attributes: [attribute])
        let bytes = message.encode()
        #expect(bytes.count % 4 == 0)
        #expect(try STUNMessage.decode(bytes) == message)
    }

    @Test func everyMethodAndClassRoundTrips() throws {
        for method in [STUNMethod.binding, .allocate, .refresh, .send, .data, .createPermission, .channelBind, STUNMethod(rawValue: 0xFFF)] {
            for messageClass in STUNClass.allCases {
                let message = STUNMessage(method: method, messageClass: messageClass, transactionID: Self.transactionID)
                #expect(try STUNMessage.decode(message.encode()) == message)
            }
        }
        // RFC 8489 §5: Binding success response is 0x0101, error response 0x0111.
        #expect(STUNMessage(method: .binding, messageClass: .errorResponse, transactionID: Self.transactionID).encode().prefix(2) == [0x01, 0x11])
    }

    @Test func looksLikeSTUNDemultiplexes() {
        #expect(STUNMessage.looksLikeSTUN(RFC5769.request))
        #expect(!STUNMessage.looksLikeSTUN([0x16, 0xfe, 0xfd] + [UInt8](repeating: 0, count: 30)))  // DTLS
        #expect(!STUNMessage.looksLikeSTUN([0x80, 0x60] + [UInt8](repeating: 0, count: 30)))  // RTP
        #expect(!STUNMessage.looksLikeSTUN(Array(RFC5769.request.prefix(19))))
    }
}
