import Foundation
import Testing
@testable import SDP

/// The `{type, sdp}` JSON body of the echo test's `POST /offer` (RTCSessionDescriptionInit).
@Suite struct SDPMessageTests {
    @Test func decodesABrowserStyleBody() throws {
        let sdp = try SDPFixtures.text("chromium-offer-video-data.sdp")
        let body = try JSONSerialization.data(withJSONObject: ["type": "offer", "sdp": sdp])
        let message = try JSONDecoder().decode(SessionDescriptionMessage.self, from: body)
        #expect(message.type == .offer)
        #expect(message.sdp == sdp)
        #expect(try message.parsed().media.count == 2)
    }

    @Test func encodesTypeAndSdpKeys() throws {
        let message = SessionDescriptionMessage(type: .answer, description: SDPBuilderTests.videoAndDataOffer())
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(message)) as? [String: String]
        #expect(object == ["type": "answer", "sdp": SDPBuilderTests.expectedText])
        #expect(try JSONDecoder().decode(SessionDescriptionMessage.self, from: JSONEncoder().encode(message)) == message)
    }

    @Test func rollbackMayOmitSdp() throws {
        let message = try JSONDecoder().decode(SessionDescriptionMessage.self, from: Data(#"{"type":"rollback"}"#.utf8))
        #expect(message == SessionDescriptionMessage(type: .rollback, sdp: ""))
    }

    @Test func unknownTypeIsRejected() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SessionDescriptionMessage.self, from: Data(#"{"type":"bogus","sdp":""}"#.utf8))
        }
    }

    @Test func allFourTypesUseTheW3CNames() {
        #expect(SDPType.allCases.map(\.rawValue) == ["offer", "pranswer", "answer", "rollback"])
    }
}
