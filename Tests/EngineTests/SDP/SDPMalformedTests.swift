import Testing
@testable import SDP

/// Bad input throws an `SDPParseError` naming the line and the reason; it never crashes.
@Suite struct SDPMalformedTests {
    /// A valid header (lines 1-4); cases append lines 5 and on.
    static let header = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0"]

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let bytes: [UInt8]
        let line: Int
        let reason: SDPParseError.Reason
        var testDescription: String { label }

        init(_ label: String, _ lines: [String], line: Int, _ reason: SDPParseError.Reason) {
            self.init(label, bytes: Array(lines.map { $0 + "\r\n" }.joined().utf8), line: line, reason)
        }

        init(_ label: String, bytes: [UInt8], line: Int, _ reason: SDPParseError.Reason) {
            self.label = label
            self.bytes = bytes
            self.line = line
            self.reason = reason
        }
    }

    static let cases: [Case] = [
        Case("empty input", [], line: 1, .missingVersion),
        Case("no v= line", Array(header.dropFirst()), line: 1, .missingVersion),
        Case("v= not first", ["s=-", "v=0"], line: 1, .missingVersion),
        Case("version 1", ["v=1"] + header.dropFirst(), line: 1, .unsupportedVersion("1")),
        Case("second v=", header + ["v=0"], line: 5, .duplicateLine("v")),
        Case("second o=", header + ["o=- 2 2 IN IP4 127.0.0.1"], line: 5, .duplicateLine("o")),
        Case("missing o=", ["v=0", "s=-", "t=0 0", "m=audio 9 RTP/AVP 0"], line: 4, .missingLine("o")),
        Case("missing s=", ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "t=0 0"], line: 4, .missingLine("s")),
        Case("missing t=", ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "m=audio 9 RTP/AVP 0"], line: 4, .missingLine("t")),
        Case("line without =", header + ["a rtcp-mux"], line: 5, .malformedLine),
        Case("upper-case type", header + ["A=rtcp-mux"], line: 5, .malformedLine),
        Case("space before =", header + ["a =rtcp-mux"], line: 5, .malformedLine),
        Case("unknown type", header + ["x=whatever"], line: 5, .unknownLineType("x")),
        Case("r= before t=", ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "r=7d 1h 0"], line: 4, .misplacedLine("r")),
        Case("t= inside media", header + ["m=audio 9 RTP/AVP 0", "t=0 0"], line: 6, .misplacedLine("t")),
        Case("second i= in media", header + ["m=audio 9 RTP/AVP 0", "i=a", "i=b"], line: 7, .duplicateLine("i")),
        Case("o= with 5 fields", ["v=0", "o=- 1 1 IN IP4"], line: 2,
             .invalidField("o", "expected 6 fields, found 5")),
        Case("huge session id", ["v=0", "o=- 99999999999999999999999 1 IN IP4 127.0.0.1"], line: 2,
             .invalidField("o", "session id '99999999999999999999999' is not a decimal number in 0...18446744073709551615")),
        Case("t= with letters", ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=now 0"], line: 4,
             .invalidField("t", "start time 'now' is not a decimal number in 0...18446744073709551615")),
        Case("huge bandwidth", header + ["b=AS:18446744073709551616"], line: 5,
             .invalidField("b", "bandwidth '18446744073709551616' is not a decimal number in 0...18446744073709551615")),
        Case("bandwidth without colon", header + ["b=AS"], line: 5, .invalidField("b", "expected <bwtype>:<bandwidth>")),
        Case("c= with 2 fields", header + ["c=IN IP4"], line: 5, .invalidField("c", "expected 3 fields, found 2")),
        Case("m= with 3 fields", header + ["m=video 9 UDP/TLS/RTP/SAVPF"], line: 5,
             .invalidField("m", "expected '<media> <port> <proto> <fmt> ...', found 3 fields")),
        Case("m= port 65536", header + ["m=video 65536 RTP/AVP 96"], line: 5,
             .invalidField("m", "port '65536' is not a decimal number in 0...65535")),
        Case("m= negative port", header + ["m=video -1 RTP/AVP 96"], line: 5,
             .invalidField("m", "port '-1' is not a decimal number in 0...65535")),
        Case("m= signed port", header + ["m=video +9 RTP/AVP 96"], line: 5,
             .invalidField("m", "port '+9' is not a decimal number in 0...65535")),
        Case("m= bad port count", header + ["m=video 9/x RTP/AVP 96"], line: 5,
             .invalidField("m", "number of ports 'x' is not a decimal number in 0...65535")),
        Case("m= empty proto part", header + ["m=video 9 UDP//SAVPF 96"], line: 5,
             .invalidField("m", "bad transport protocol 'UDP//SAVPF'")),
        Case("attribute with empty name", header + ["a=:value"], line: 5, .invalidAttributeName("")),
        Case("bare a=", header + ["a="], line: 5, .invalidAttributeName("")),
        Case("attribute name with space", header + ["a=rtcp mux"], line: 5, .invalidAttributeName("rtcp mux")),
        Case("rtpmap payload type 300", header + ["m=video 9 RTP/AVP 96", "a=rtpmap:300 VP8/90000"], line: 6,
             .invalidAttribute(name: "rtpmap", "payload type '300' is not in 0...127")),
        Case("rtpmap huge clock rate", header + ["m=video 9 RTP/AVP 96", "a=rtpmap:96 VP8/4294967296"], line: 6,
             .invalidAttribute(name: "rtpmap", "clock rate '4294967296' is not a decimal number in 0...4294967295")),
        Case("rtpmap without clock rate", header + ["m=video 9 RTP/AVP 96", "a=rtpmap:96 VP8"], line: 6,
             .invalidAttribute(name: "rtpmap", "expected <encoding name>/<clock rate>[/<channels>]")),
        Case("ssrc beyond 32 bits", header + ["m=video 9 RTP/AVP 96", "a=ssrc:4294967296 cname:x"], line: 6,
             .invalidAttribute(name: "ssrc", "ssrc '4294967296' is not a decimal number in 0...4294967295")),
        Case("sctp-port 70000", header + ["m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "a=sctp-port:70000"], line: 6,
             .invalidAttribute(name: "sctp-port", "port '70000' is not a decimal number in 0...65535")),
        Case("max-message-size negative", header + ["m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
                                                    "a=max-message-size:-1"], line: 6,
             .invalidAttribute(name: "max-message-size", "size '-1' is not a decimal number in 0...18446744073709551615")),
        Case("extmap id 0", header + ["m=video 9 RTP/AVP 96", "a=extmap:0 urn:x"], line: 6,
             .invalidAttribute(name: "extmap", "extension id 0 is outside 1...255 and 4096...4351")),
        Case("extmap bad direction", header + ["m=video 9 RTP/AVP 96", "a=extmap:2/sideways urn:x"], line: 6,
             .invalidAttribute(name: "extmap", "bad extension direction 'sideways'")),
        Case("fingerprint odd digits", header + ["a=fingerprint:sha-256 AB:C:DE"], line: 5,
             .invalidAttribute(name: "fingerprint", "bad fingerprint byte 'C'")),
        Case("fingerprint not hex", header + ["a=fingerprint:sha-256 ZZ:00"], line: 5,
             .invalidAttribute(name: "fingerprint", "bad fingerprint byte 'ZZ'")),
        Case("setup unknown", header + ["a=setup:sideways"], line: 5,
             .invalidAttribute(name: "setup", "unknown setup role 'sideways'")),
        Case("setup without value", header + ["a=setup"], line: 5,
             .invalidAttribute(name: "setup", "a value is required")),
        Case("ice-ufrag with odd characters", header + ["a=ice-ufrag:ab\u{e9}cd"], line: 5,
             .invalidAttribute(name: "ice-ufrag", "only letters, digits, '+' and '/' are allowed")),
        Case("empty mid", header + ["m=video 9 RTP/AVP 96", "a=mid:"], line: 6,
             .invalidAttribute(name: "mid", "mid must be a token")),
        Case("rtcp-fb bad payload type", header + ["m=video 9 RTP/AVP 96", "a=rtcp-fb:x nack"], line: 6,
             .invalidAttribute(name: "rtcp-fb", "payload type 'x' is not in 0...127")),
        Case("ssrc-group with a word", header + ["m=video 9 RTP/AVP 96", "a=ssrc-group:FID 1 two"], line: 6,
             .invalidAttribute(name: "ssrc-group", "ssrc 'two' is not a decimal number in 0...4294967295")),
        Case("NUL byte", bytes: Array("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=a\0b\r\n".utf8), line: 3, .invalidCharacter(0)),
        Case("carriage return inside a line", bytes: Array("v=0\r\ns=a\rb\r\n".utf8), line: 2, .invalidCharacter(0x0D)),
        Case("escape character", bytes: Array("v=0\r\ns=\u{1B}[31m\r\n".utf8), line: 2, .invalidCharacter(0x1B)),
        Case("invalid UTF-8", bytes: Array("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=".utf8) + [0xC3, 0x28] + Array("\r\n".utf8),
             line: 3, .invalidUTF8),
        Case("truncated UTF-8", bytes: Array("v=0\ns=".utf8) + [0xE2, 0x82], line: 2, .invalidUTF8),
    ]

    @Test(arguments: cases)
    func malformedInputThrowsWithLineNumber(_ testCase: Case) {
        #expect(throws: SDPParseError(line: testCase.line, reason: testCase.reason)) {
            try SessionDescription(parsing: testCase.bytes)
        }
    }

    @Test func errorDescriptionNamesLineAndReason() {
        let error = SDPParseError(line: 7, reason: .invalidField("m", "expected more fields"))
        #expect(error.description == "SDP line 7: bad 'm=' line: expected more fields")
    }

    @Test func textInputAndByteInputReportTheSameError() {
        let text = (Self.header + ["m=video 9 RTP/AVP"]).joined(separator: "\n")
        #expect(throws: SDPParseError.self) { try SessionDescription(parsing: text) }
        let fromText = Result { () throws(SDPParseError) in try SessionDescription(parsing: text) }
        let fromBytes = Result { () throws(SDPParseError) in try SessionDescription(parsing: Array(text.utf8)) }
        #expect(fromText == fromBytes)
    }

    /// Every proper prefix of a real offer either parses or throws; none crashes.
    @Test func everyPrefixOfARealOfferParsesOrThrows() throws {
        let bytes = Array(try SDPFixtures.text("aiortc-offer-video-data.sdp").utf8)
        var failures = 0
        var successes = 0
        for length in stride(from: 0, to: bytes.count, by: 7) {
            do {
                _ = try SessionDescription(parsing: bytes[..<length])
                successes += 1
            } catch {
                failures += 1
            }
        }
        #expect(failures > 0)
        #expect(successes > 0)
    }
}
