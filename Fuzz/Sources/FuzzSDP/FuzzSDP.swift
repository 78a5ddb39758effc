import SDP

/// Session descriptions come from the signalling peer. Parsing bytes must never trap; what parses
/// must be written as text that parses back to an equal description, and every typed attribute
/// value must read back equal from the text it writes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let description = try? SessionDescription(parsing: bytes) else { return 0 }
    let text = description.serialized()
    let reparsed: SessionDescription
    do {
        reparsed = try SessionDescription(parsing: text)
    } catch {
        fatalError("SDP round trip: serialized description does not parse: \(error)\n\(text)")
    }
    guard reparsed == description else { fatalError("SDP round trip changed the description:\n\(text)") }

    checkTypedValues(in: description)
    _ = (description.bundleGroups, description.msidSemantic, description.iceLite)
    for section in description.media {
        checkTypedValues(in: section)
        _ = (section.payloadTypes, section.isRejected, section.ssrcs, section.sctpPort, section.maxMessageSize)
        _ = description.effectiveTransport(for: section)
    }
    return 0
}

private func checkTypedValues(in holder: some SDPAttributeHolder) {
    checkRoundTrip(SDPFingerprint.self, in: holder)
    checkRoundTrip(SDPSetupRole.self, in: holder)
    checkRoundTrip(SDPGroup.self, in: holder)
    checkRoundTrip(SDPMsidSemantic.self, in: holder)
    checkRoundTrip(SDPMsid.self, in: holder)
    checkRoundTrip(SDPRTPMap.self, in: holder)
    checkRoundTrip(SDPFormatParameters.self, in: holder)
    checkRoundTrip(SDPRTCPFeedback.self, in: holder)
    checkRoundTrip(SDPExtensionMap.self, in: holder)
    checkRoundTrip(SDPSSRCAttribute.self, in: holder)
    checkRoundTrip(SDPSSRCGroup.self, in: holder)
    checkRoundTrip(SDPRTCPAddress.self, in: holder)
}

private func checkRoundTrip<T: SDPAttributeValue>(_ type: T.Type, in holder: some SDPAttributeHolder) {
    for value in holder.typedValues(T.self) {
        let text = value.attributeValue
        guard let again = try? T(attributeValue: text), again == value else {
            fatalError("SDP a=\(T.attributeName) round trip changed \(value) (written as '\(text)')")
        }
    }
}
