import Testing
import TandemBase
@testable import STUN

@Suite struct STUNMalformedTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let error: STUNError
        var testDescription: String { name }
    }

    static let header: [UInt8] = Hex.decode("0001 0000 2112a442 b7e7a701bc34d686fa87dfae")!

    static func withBody(_ body: [UInt8], length: Int? = nil) -> [UInt8] {
        var bytes = header + body
        let value = length ?? body.count
        bytes[2] = UInt8(value >> 8)
        bytes[3] = UInt8(value & 0xFF)
        return bytes
    }

    static let cases: [Case] = [
        Case(name: "empty", bytes: [], error: .truncated(needed: 20, available: 0)),
        Case(name: "truncated header", bytes: Array(RFC5769.request.prefix(12)), error: .truncated(needed: 20, available: 12)),
        Case(name: "truncated body", bytes: Array(RFC5769.request.prefix(60)), error: .truncated(needed: 108, available: 60)),
        Case(name: "leading bits set", bytes: [0xC0] + Array(RFC5769.request.dropFirst()), error: .notSTUN),
        Case(name: "wrong magic cookie", bytes: Array(RFC5769.request.prefix(4)) + [0, 0, 0, 0] + Array(RFC5769.request.dropFirst(8)), error: .notSTUN),
        Case(name: "length not a multiple of 4", bytes: withBody([0, 0x25, 0, 0, 0, 0], length: 6), error: .badMessageLength(6)),
        Case(name: "trailing bytes beyond length", bytes: withBody([0, 0x25, 0, 0], length: 0) , error: .badMessageLength(4)),
        Case(name: "attribute runs past the end", bytes: withBody([0, 0x24, 0, 8, 1, 2, 3, 4]), error: .attributeOverrun(type: 0x24, offset: 20)),
        Case(name: "padding runs past the end", bytes: withBody([0, 0x06, 0, 5, 0x61, 0x62, 0x63, 0x64]), error: .attributeOverrun(type: 0x06, offset: 20)),
        Case(name: "bad address family", bytes: withBody([0, 0x20, 0, 8, 0, 0x03, 0xa1, 0x47, 1, 2, 3, 4]), error: .badAddressFamily(3)),
        Case(name: "IPv4 address with IPv6 length", bytes: withBody([0, 0x01, 0, 12, 0, 0x01, 0, 80] + [UInt8](repeating: 1, count: 8)), error: .badAttributeLength(type: 0x01, length: 12)),
        Case(name: "PRIORITY of 2 bytes", bytes: withBody([0, 0x24, 0, 2, 1, 2, 0, 0]), error: .badAttributeLength(type: 0x24, length: 2)),
        Case(name: "MESSAGE-INTEGRITY of 16 bytes", bytes: withBody([0, 0x08, 0, 16] + [UInt8](repeating: 0, count: 16)), error: .badAttributeLength(type: 0x08, length: 16)),
        Case(name: "USERNAME not UTF-8", bytes: withBody([0, 0x06, 0, 2, 0xC3, 0x28, 0, 0]), error: .badText(type: 0x06)),
        Case(name: "ERROR-CODE class 7", bytes: withBody([0, 0x09, 0, 4, 0, 0, 7, 0]), error: .invalidAttribute(type: 0x09, reason: "error code 70 out of range")),
    ]

    @Test(arguments: cases)
    func decodeThrows(_ example: Case) {
        #expect(throws: example.error) { try STUNMessage.decode(example.bytes) }
    }

    @Test func fingerprintMismatchIsDetected() {
        var bytes = RFC5769.request
        bytes[bytes.count - 1] ^= 0x01
        #expect(STUNMessage.verifyFingerprint(bytes) == .mismatch)
        var body = RFC5769.request
        body[30] ^= 0x01  // inside SOFTWARE, covered by FINGERPRINT
        #expect(STUNMessage.verifyFingerprint(body) == .mismatch)
    }

    @Test func integrityMismatchIsDetected() {
        let key = STUNCredentials.shortTermKey(password: RFC5769.password)
        var bytes = RFC5769.request
        bytes[45] ^= 0x01  // inside PRIORITY, covered by MESSAGE-INTEGRITY
        #expect(STUNMessage.verifyMessageIntegrity(bytes, key: key) == .mismatch)
        var mac = RFC5769.request
        mac[85] ^= 0x80  // inside the HMAC itself
        #expect(STUNMessage.verifyMessageIntegrity(mac, key: key) == .mismatch)
        let bare = STUNMessage(method: .binding, messageClass: .request, transactionID: RFC5769.transactionID).encode(fingerprint: true)
        #expect(STUNMessage.verifyMessageIntegrity(bare, key: key) == .missing)
        #expect(STUNMessage.verifyMessageIntegrity(Array(RFC5769.request.prefix(50)), key: key) == .mismatch)
    }

    @Test func attributesAfterIntegrityAreIgnored() throws {
        let key: [UInt8] = [1, 2, 3]
        var bytes = STUNMessage(method: .binding, messageClass: .request, transactionID: RFC5769.transactionID,
                                attributes: [.priority(5)]).encode(integrityKey: key)
        // Append a USERNAME after MESSAGE-INTEGRITY (RFC 8489 §14.5: receivers ignore it).
        bytes += [0, 0x06, 0, 4] + Array("evil".utf8)
        bytes[3] += 8
        #expect(try STUNMessage.decode(bytes).username == nil)
        #expect(STUNMessage.verifyMessageIntegrity(bytes, key: key) == .valid)
    }
}
