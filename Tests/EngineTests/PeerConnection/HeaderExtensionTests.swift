@testable import PeerConnection
import TandemBase
import Testing

/// The send-time header extension the Peer stamps for peers that estimate from it and send REMB.
@Suite struct HeaderExtensionTests {
    /// 6.18 fixed-point seconds, 24 bits, wrapping every 64 s (abs-send-time).
    @Test func absSendTimeIsSixPointEighteenSecondsModulo64() {
        #expect(Peer.absSendTime(at: .zero) == [0, 0, 0])
        #expect(Peer.absSendTime(at: .zero + .milliseconds(500)) == [0x02, 0x00, 0x00])  // 0.5 s = 2^17
        #expect(Peer.absSendTime(at: .zero + .seconds(63)) == [0xFC, 0x00, 0x00])
        // After ten hours of uptime the value still wraps cleanly (36 000 s mod 64 = 32 s = 2^23).
        #expect(Peer.absSendTime(at: .zero + .seconds(36_000)) == [0x80, 0x00, 0x00])
        #expect(Peer.absSendTime(at: .zero + .seconds(100 * 3_600) + .milliseconds(250)) == [0x01, 0x00, 0x00])
    }
}
