import DTLS
import NetworkSimulation
import PeerConnection
import RTP
import SDP
import SRTP
import TandemBase
import Testing

@Suite struct PeerVirtualTimeTests {
    @Test func connectsOnAPerfectNetwork() throws {
        let pair = try PeerPair()
        try pair.negotiate()
        #expect(pair.run(for: .seconds(10)) { pair.bothConnected })
        let connectedAt = try #require(pair.firstTime(.offerer, state: .connected))
        print("virtual time to connected: \(connectedAt)")
        #expect(connectedAt < Instant.zero + .milliseconds(200))
    }
}
