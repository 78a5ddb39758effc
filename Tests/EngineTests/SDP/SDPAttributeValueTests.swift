import Testing
@testable import SDP

/// Each typed attribute reads its RFC form and writes it back.
@Suite struct SDPAttributeValueTests {
    private func roundTrip<T: SDPAttributeValue>(_ type: T.Type, _ text: String) throws -> T {
        let value = try T(attributeValue: text)
        #expect(value.attributeValue == text)
        return value
    }

    @Test func rtcpFeedbackWildcardAndParameters() throws {
        let all = try roundTrip(SDPRTCPFeedback.self, "* nack")
        #expect(all.payloadType == nil)
        let fir = try roundTrip(SDPRTCPFeedback.self, "96 ccm fir")
        #expect(fir == SDPRTCPFeedback(payloadType: 96, type: "ccm", parameter: "fir"))
        let trr = try roundTrip(SDPRTCPFeedback.self, "100 trr-int 100 extra")
        #expect(trr.parameter == "100 extra")
    }

    @Test func wildcardFeedbackAppliesToEveryCodec() throws {
        var section = MediaDescription(kind: "video", port: 9, proto: "UDP/TLS/RTP/SAVPF", formats: [])
        section.addCodec(SDPCodec(rtpMap: SDPRTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90000)))
        section.addCodec(SDPCodec(rtpMap: SDPRTPMap(payloadType: 98, encodingName: "VP9", clockRate: 90000),
                                  parameters: "profile-id=0"))
        section.append(SDPRTCPFeedback(payloadType: nil, type: "nack"))
        #expect(section.formats == ["96", "98"])
        #expect(section.codecs.map(\.feedback) == [[SDPRTCPFeedback(payloadType: nil, type: "nack")],
                                                   [SDPRTCPFeedback(payloadType: nil, type: "nack")]])
        #expect(section.codecs[1].parameter("PROFILE-ID") == "0")
        #expect(section.codecs[0].parameters == nil)
    }

    @Test func extensionMapWithDirectionAndAttributes() throws {
        let map = try roundTrip(SDPExtensionMap.self, "4096/recvonly urn:example:ext attr1 attr2")
        #expect(map == SDPExtensionMap(id: 4096, direction: .recvonly, uri: "urn:example:ext", extensionAttributes: "attr1 attr2"))
        #expect(throws: SDPValueError.self) { try SDPExtensionMap(attributeValue: "256 urn:x") }
    }

    @Test func ssrcAttributeValueKeepsSpacesAndColons() throws {
        let msid = try roundTrip(SDPSSRCAttribute.self, "42 msid:stream track")
        #expect(msid == SDPSSRCAttribute(ssrc: 42, name: "msid", value: "stream track"))
        let bare = try roundTrip(SDPSSRCAttribute.self, "42 x-flag")
        #expect(bare.value == nil)
        let url = try roundTrip(SDPSSRCAttribute.self, "7 label:a:b")
        #expect(url.value == "a:b")
    }

    @Test func rtpMapChannelsAndRTCPAddress() throws {
        #expect(try roundTrip(SDPRTPMap.self, "111 opus/48000/2").channels == 2)
        #expect(try roundTrip(SDPRTPMap.self, "0 PCMU/8000").channels == nil)
        #expect(try roundTrip(SDPRTCPAddress.self, "53020").connection == nil)
        #expect(try roundTrip(SDPRTCPAddress.self, "9 IN IP6 ::").connection?.address == "::")
        #expect(throws: SDPValueError.self) { try SDPRTCPAddress(attributeValue: "9 IN IP4") }
    }

    @Test func fingerprintAcceptsLowerCaseAndWritesUpperCase() throws {
        let fingerprint = try SDPFingerprint(attributeValue: "SHA-1 0a:bc:DE")
        #expect(fingerprint == SDPFingerprint(algorithm: "sha-1", bytes: [0x0A, 0xBC, 0xDE]))
        #expect(fingerprint.attributeValue == "sha-1 0A:BC:DE")
        #expect(throws: SDPValueError.self) { try SDPFingerprint(attributeValue: "sha-256 AB::CD") }
        #expect(throws: SDPValueError.self) { try SDPFingerprint(attributeValue: "sha-256") }
    }

    @Test func groupingAttributes() throws {
        #expect(try roundTrip(SDPGroup.self, "BUNDLE a b c").mids == ["a", "b", "c"])
        #expect(try roundTrip(SDPGroup.self, "LS").mids.isEmpty)
        #expect(try SDPMsidSemantic(attributeValue: " WMS *") == SDPMsidSemantic(semantics: "WMS", identifiers: ["*"]))
        #expect(try roundTrip(SDPMsid.self, "-").trackId == nil)
        #expect(throws: SDPValueError.self) { try SDPMsid(attributeValue: "a b c") }
    }

    @Test func directionReversesForAnswers() {
        #expect(SDPMediaDirection.allCases.map(\.reversed) == [.sendrecv, .recvonly, .sendonly, .inactive])
    }

    @Test func rejectedAndBundleOnlySections() {
        var section = MediaDescription(kind: "video", port: 0, proto: "UDP/TLS/RTP/SAVPF", formats: ["96"])
        #expect(section.isRejected)
        section.setFlag("bundle-only", true)
        #expect(!section.isRejected)
        section.port = 9
        section.setFlag("bundle-only", false)
        #expect(!section.isRejected)
    }

    /// A value added by hand that does not parse is left out of the typed view, not crashed on.
    @Test func typedGetterSkipsHandWrittenGarbage() {
        var section = MediaDescription(kind: "video", port: 9, proto: "RTP/AVP", formats: ["96"])
        section.append(SDPAttribute("rtpmap", "nonsense"))
        section.append(SDPRTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90000))
        #expect(section.rtpMaps.map(\.payloadType) == [96])
        section.sctpPort = nil
        section.append(SDPAttribute("sctp-port", "x"))
        #expect(section.sctpPort == nil)
    }
}

@Suite struct SDPNegotiationHelperTests {
    @Test func answererPicksTheRoleOppositeTheOffer() {
        #expect(SDPSetupRole.actpass.answerRole == .active)
        #expect(SDPSetupRole.active.answerRole == .passive)
        #expect(SDPSetupRole.passive.answerRole == .active)
        #expect(SDPSetupRole.holdconn.answerRole == .holdconn)
        #expect(SDPSetupRole.allCases.filter(\.isDTLSClient) == [.active])
    }

    @Test func bundleGroupLookupByMid() throws {
        var description = SessionDescription(origin: SDPOrigin(sessionId: 1, sessionVersion: 1))
        description.groups = [SDPGroup(semantics: "LS", mids: ["a"]), .bundle(["a", "b"])]
        #expect(description.bundleGroup(containing: "b") == .bundle(["a", "b"]))
        #expect(description.bundleGroup(containing: "c") == nil)
        #expect(description.bundleGroups.count == 1)
        #expect(description.serialized().contains("a=group:LS a\r\na=group:BUNDLE a b\r\n"))
    }
}
