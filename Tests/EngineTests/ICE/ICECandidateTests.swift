import Testing
import TandemBase
@testable import ICE

@Suite struct ICECandidateTests {
    @Test func parsesAndPrintsABrowserHostCandidate() throws {
        let line = "candidate:842163049 1 udp 2122260223 192.168.1.20 54321 typ host generation 0 ufrag EsAw network-id 1 network-cost 10"
        let candidate = try ICECandidate(sdp: line)
        #expect(candidate.foundation == "842163049")
        #expect(candidate.component == 1)
        #expect(candidate.transport == "udp")
        #expect(candidate.priority == 2_122_260_223)
        #expect(candidate.address == TransportAddress("192.168.1.20:54321"))
        #expect(candidate.type == .host)
        #expect(candidate.ufrag == "EsAw")
        #expect(candidate.generation == 0)
        #expect(candidate.extensions.map(\.name) == ["generation", "ufrag", "network-id", "network-cost"])
        #expect(candidate.sdpValue == line)
    }

    @Test func parsesServerReflexiveWithRelatedAddressAndIPv6() throws {
        let srflx = try ICECandidate(sdp: "a=candidate:1 1 UDP 1694498815 203.0.113.7 40000 typ srflx raddr 10.0.0.2 rport 5000\r\n")
        #expect(srflx.transport == "udp")
        #expect(srflx.type == .srflx)
        #expect(srflx.relatedAddress == TransportAddress("10.0.0.2:5000"))
        #expect(srflx.sdpValue == "candidate:1 1 udp 1694498815 203.0.113.7 40000 typ srflx raddr 10.0.0.2 rport 5000")
        let v6 = try ICECandidate(sdp: "candidate:abc+/ 1 udp 100 2001:db8::1 9 typ relay raddr :: rport 0")
        #expect(v6.address == TransportAddress("[2001:db8::1]:9"))
        #expect(v6.type == .relay)
        #expect(try ICECandidate(sdp: v6.sdpValue) == v6)
    }

    @Test(arguments: [
        ("candidate:1 1 udp 1 1.2.3.4 5 typ", ICECandidateParseError.missingFields),
        ("candidate:1 0 udp 1 1.2.3.4 5 typ host", .invalidField(name: "component", value: "0")),
        ("candidate:1 1 udp x 1.2.3.4 5 typ host", .invalidField(name: "priority", value: "x")),
        ("candidate:1 1 udp 2147483648 1.2.3.4 5 typ host", .invalidField(name: "priority", value: "2147483648")),
        ("candidate:1 1 udp 1 1.2.3.4 70000 typ host", .invalidField(name: "port", value: "70000")),
        ("candidate:1 1 udp 1 1.2.3 5 typ host", .invalidField(name: "connection-address", value: "1.2.3")),
        ("candidate:1 1 udp 1 abc.local 5 typ host", .unresolvedAddress("abc.local")),
        ("candidate:1 1 udp 1 1.2.3.4 5 type host", .invalidField(name: "typ", value: "type")),
        ("candidate:1 1 udp 1 1.2.3.4 5 typ nat", .invalidField(name: "cand-type", value: "nat")),
        ("candidate:f_o 1 udp 1 1.2.3.4 5 typ host", .invalidField(name: "foundation", value: "f_o")),
        ("candidate:1 1 udp 1 1.2.3.4 5 typ host generation", .invalidField(name: "generation", value: "")),
        ("candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr x rport 1", .invalidField(name: "raddr", value: "x")),
    ])
    func rejectsMalformedLines(_ line: String, _ error: ICECandidateParseError) {
        #expect(throws: error) { try ICECandidate(sdp: line) }
    }

    @Test func priorityFollowsRFC8445() {
        // RFC 8445 §5.1.2.1 with the recommended type preferences and a single interface.
        #expect(ICECandidate.priority(type: .host, localPreference: 65535) == 2_130_706_431)
        #expect(ICECandidate.priority(type: .prflx, localPreference: 65535) == 1_862_270_975)
        #expect(ICECandidate.priority(type: .srflx, localPreference: 65535) == 1_694_498_815)
        #expect(ICECandidate.priority(type: .relay, localPreference: 65535) == 16_777_215)
        #expect(ICECandidate.priority(type: .host, localPreference: 65535, component: 2) == 2_130_706_430)
    }

    @Test func foundationGroupsByTypeBaseServerAndTransport() {
        let ip = IPAddress("10.0.0.1")!
        let server = IPAddress("198.51.100.1")!
        let host = ICECandidate.foundation(type: .host, baseIP: ip, serverIP: nil)
        #expect(host == ICECandidate.foundation(type: .host, baseIP: ip, serverIP: nil))
        #expect(host != ICECandidate.foundation(type: .host, baseIP: IPAddress("10.0.0.2")!, serverIP: nil))
        #expect(host != ICECandidate.foundation(type: .srflx, baseIP: ip, serverIP: server))
        #expect(ICECandidate.foundation(type: .srflx, baseIP: ip, serverIP: server)
            != ICECandidate.foundation(type: .srflx, baseIP: ip, serverIP: IPAddress("198.51.100.2")!))
        #expect(host.allSatisfy { $0.isNumber })
    }
}
