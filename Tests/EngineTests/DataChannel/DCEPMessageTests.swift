import DataChannel
import TandemBase
import Testing

/// DATA_CHANNEL_OPEN / ACK codec (RFC 8832 §5).
@Suite struct DCEPMessageTests {
    @Test(arguments: [
        DCEPOpen(ordered: true, reliability: .reliable, label: "chat", protocol: ""),
        DCEPOpen(ordered: false, reliability: .maxRetransmits(0), priority: 512, label: "输入 إدخال ⌨️", protocol: "tandem-input/1"),
        DCEPOpen(ordered: true, reliability: .maxPacketLifeTime(.milliseconds(150)), priority: 128, label: "", protocol: "x"),
    ])
    func openRoundTrips(open: DCEPOpen) throws {
        let bytes = DCEPMessage.open(open).serialized()
        #expect(try DCEPMessage(parsing: bytes) == .open(open))
    }

    @Test func openMatchesTheRFCLayout() {
        // RFC 8832 §5.1: type 0x03, channel type 0x81 (unordered, limited retransmits), priority, parameter,
        // label length, protocol length, label, protocol.
        let open = DCEPOpen(ordered: false, reliability: .maxRetransmits(3), priority: 256, label: "ab", protocol: "c")
        #expect(DCEPMessage.open(open).serialized() == [0x03, 0x81, 0x01, 0x00, 0, 0, 0, 3, 0, 2, 0, 1, 0x61, 0x62, 0x63])
        #expect(DCEPMessage.ack.serialized() == [0x02])
    }

    @Test func reliableChannelsIgnoreTheReliabilityParameter() throws {
        #expect(try DCEPMessage(parsing: [0x03, 0x00, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0]) == .open(DCEPOpen(ordered: true, reliability: .reliable, priority: 0, label: "", protocol: "")))
    }

    @Test(arguments: [
        [UInt8](),                                          // empty
        [0x07],                                             // unknown message type
        [0x03, 0x00, 0, 0],                                 // truncated header
        [0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],         // unknown channel type
        [0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0x61],   // label longer than the message
        [0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0xC3, 0x28], // label not UTF-8
    ])
    func malformedMessagesAreRefused(bytes: [UInt8]) {
        #expect(throws: WireError.self) { try DCEPMessage(parsing: bytes) }
    }
}
