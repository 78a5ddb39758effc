import Testing
@testable import SDP

@Suite struct SDPRoundTripTests {
    /// The captured text comes back byte for byte: line order, unknown attributes and spacing
    /// (e.g. Chromium's `a=msid-semantic: WMS`) are all kept.
    @Test(arguments: SDPFixtures.names)
    func fixtureSerialisesToTheSameText(name: String) throws {
        let text = try SDPFixtures.text(name)
        let parsed = try SessionDescription(parsing: text)
        #expect(parsed.serialized() == text)
        #expect(try SessionDescription(parsing: parsed.serialized()) == parsed)
    }

    @Test(arguments: SDPFixtures.names)
    func lineFeedOnlyInputParsesToTheSameValue(name: String) throws {
        let text = try SDPFixtures.text(name)
        let lineFeedOnly = String(text.unicodeScalars.filter { $0 != "\r" }.map(Character.init))
        #expect(try SessionDescription(parsing: lineFeedOnly) == SessionDescription(parsing: text))
    }

    @Test func unknownAttributesAndFieldsSurvive() throws {
        let text = [
            "v=0", "o=alice 7 9 IN IP6 ::1", "s=talk", "i=about", "u=http://example.com/x", "e=a@example.com",
            "p=+1 555", "c=IN IP4 224.2.17.12/127", "b=AS:512", "t=3034423619 3042462419", "r=7d 1h 0 25h",
            "z=2882844526 -1h", "k=prompt", "a=x-flag", "a=x-custom:weird  value:with:colons ",
            "m=audio 49170/2 RTP/AVP 0", "i=voice", "c=IN IP4 10.0.0.1", "c=IN IP4 10.0.0.2", "b=TIAS:64000",
            "k=clear:key", "a=x-media:1", "a=recvonly",
        ].map { $0 + "\r\n" }.joined()
        let parsed = try SessionDescription(parsing: text)
        #expect(parsed.serialized() == text)
        #expect(parsed.firstValue(named: "x-custom") == "weird  value:with:colons ")
        #expect(parsed.firstValue(named: "x-flag") == "")
        #expect(parsed.attributes.first == SDPAttribute("x-flag"))
        #expect(parsed.timings == [SDPTiming(start: 3034423619, stop: 3042462419, repeats: ["7d 1h 0 25h"])])
        #expect(parsed.media.first?.numberOfPorts == 2)
        #expect(parsed.media.first?.connections.count == 2)
        #expect(parsed.media.first?.direction == .recvonly)
    }
}
