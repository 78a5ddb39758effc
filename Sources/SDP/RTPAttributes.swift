/// RTP payload types are 7 bits (RFC 3550 §5.1).
func readPayloadType(_ text: some StringProtocol) throws(SDPValueError) -> UInt8 {
    guard let value = SDPScalars.decimal(text, as: UInt8.self), value <= 127 else {
        throw SDPValueError("payload type '\(text)' is not in 0...127")
    }
    return value
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]` (RFC 8866 §6.6).
public struct SDPRTPMap: SDPAttributeValue {
    public static let attributeName = "rtpmap"

    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    /// For audio, the number of channels (RFC 8866 §6.6); nil when not written.
    public var channels: UInt16?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt16? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(attributeValue)
        guard words.count == 2 else { throw SDPValueError("expected '<payload type> <encoding>/<clock rate>'") }
        let parts = words[1].split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty else {
            throw SDPValueError("expected <encoding name>/<clock rate>[/<channels>]")
        }
        self.init(payloadType: try readPayloadType(words[0]), encodingName: String(parts[0]),
                  clockRate: try SDPScalars.requireDecimal(parts[1], "clock rate"),
                  channels: parts.count == 3 ? try SDPScalars.requireDecimal(parts[2], "channels") : nil)
    }

    public var attributeValue: String {
        "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}

/// `a=fmtp:<format> <format specific parameters>` (RFC 8866 §6.15); the parameters are kept as written.
public struct SDPFormatParameters: SDPAttributeValue {
    public static let attributeName = "fmtp"

    /// The media format, for RTP the payload type as text.
    public var format: String
    public var parameters: String

    public init(format: String, parameters: String) {
        self.format = format
        self.parameters = parameters
    }

    public init(payloadType: UInt8, parameters: String) {
        self.init(format: String(payloadType), parameters: parameters)
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let (format, parameters) = SDPScalars.splitOnce(attributeValue, at: " ")
        guard SDPScalars.isToken(format), let parameters else { throw SDPValueError("expected '<format> <parameters>'") }
        self.init(format: String(format), parameters: String(parameters))
    }

    public var attributeValue: String { "\(format) \(parameters)" }

    /// The format as an RTP payload type, when it is one.
    public var payloadType: UInt8? { try? readPayloadType(format) }

    /// The value of one `name=value` pair of a `;`-separated parameter list (the common form, e.g. RFC 6184 §8.1, RFC 7587 §7);
    /// names compare case-insensitively; a name without `=` gives "".
    public func parameter(_ name: String) -> String? {
        for pair in parameters.split(separator: ";") {
            let (key, value) = SDPScalars.splitOnce(pair, at: "=")
            if SDPScalars.trimmed(key).lowercased() == name.lowercased() {
                return value.map { String(SDPScalars.trimmed($0)) } ?? ""
            }
        }
        return nil
    }
}

/// `a=rtcp-fb:<payload type or *> <type> [<parameters>]` (RFC 4585 §4.2), e.g. `nack pli`, `ccm fir`, `transport-cc`.
public struct SDPRTCPFeedback: SDPAttributeValue {
    public static let attributeName = "rtcp-fb"

    /// nil stands for `*`: the feedback applies to every payload type of the section (RFC 4585 §4.2).
    public var payloadType: UInt8?
    public var type: String
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(attributeValue)
        guard words.count >= 2 else { throw SDPValueError("expected '<payload type> <feedback type>'") }
        let payloadType: UInt8? = words[0] == "*" ? nil : try readPayloadType(words[0])
        self.init(payloadType: payloadType, type: String(words[1]),
                  parameter: words.count > 2 ? words[2...].joined(separator: " ") : nil)
    }

    public var attributeValue: String {
        (payloadType.map(String.init) ?? "*") + " " + type + (parameter.map { " " + $0 } ?? "")
    }
}

/// `a=extmap:<id>[/<direction>] <uri> [<extension attributes>]` (RFC 8285 §8).
public struct SDPExtensionMap: SDPAttributeValue {
    public static let attributeName = "extmap"

    /// 1...14 for one-byte headers, up to 255 for two-byte headers, 4096...4351 reserved for offers (RFC 8285 §5, §7).
    public var id: UInt16
    public var direction: SDPMediaDirection?
    public var uri: String
    public var extensionAttributes: String?

    public init(id: UInt16, direction: SDPMediaDirection? = nil, uri: String, extensionAttributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(attributeValue)
        guard words.count >= 2 else { throw SDPValueError("expected '<id> <uri>'") }
        let (idText, directionText) = SDPScalars.splitOnce(words[0], at: "/")
        let id: UInt16 = try SDPScalars.requireDecimal(idText, "extension id")
        guard (1...255).contains(id) || (4096...4351).contains(id) else {
            throw SDPValueError("extension id \(id) is outside 1...255 and 4096...4351")
        }
        var direction: SDPMediaDirection?
        if let directionText {
            guard let parsed = SDPMediaDirection(rawValue: String(directionText)) else {
                throw SDPValueError("bad extension direction '\(directionText)'")
            }
            direction = parsed
        }
        self.init(id: id, direction: direction, uri: String(words[1]),
                  extensionAttributes: words.count > 2 ? words[2...].joined(separator: " ") : nil)
    }

    public var attributeValue: String {
        "\(id)" + (direction.map { "/\($0.rawValue)" } ?? "") + " \(uri)" + (extensionAttributes.map { " " + $0 } ?? "")
    }
}

/// `a=ssrc:<ssrc-id> <attribute>[:<value>]` (RFC 5576 §4.1), e.g. `cname:…` or `msid:<stream> <track>`.
public struct SDPSSRCAttribute: SDPAttributeValue {
    public static let attributeName = "ssrc"

    public var ssrc: UInt32
    public var name: String
    public var value: String?

    public init(ssrc: UInt32, name: String, value: String? = nil) {
        self.ssrc = ssrc
        self.name = name
        self.value = value
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let (ssrcText, rest) = SDPScalars.splitOnce(attributeValue, at: " ")
        guard let rest else { throw SDPValueError("expected '<ssrc> <attribute>[:<value>]'") }
        let (name, value) = SDPScalars.splitOnce(rest, at: ":")
        guard SDPScalars.isToken(name) else { throw SDPValueError("bad source attribute name '\(name)'") }
        self.init(ssrc: try SDPScalars.requireDecimal(ssrcText, "ssrc"), name: String(name), value: value.map(String.init))
    }

    public var attributeValue: String { "\(ssrc) \(name)" + (value.map { ":" + $0 } ?? "") }
}

/// `a=ssrc-group:<semantics> <ssrc-id>...` (RFC 5576 §4.2), e.g. `FID` pairing a stream with its RTX stream (RFC 4588 §8).
public struct SDPSSRCGroup: SDPAttributeValue {
    public static let attributeName = "ssrc-group"

    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(attributeValue)
        guard let semantics = words.first, SDPScalars.isToken(semantics) else { throw SDPValueError("missing semantics") }
        var ssrcs: [UInt32] = []
        for word in words.dropFirst() { ssrcs.append(try SDPScalars.requireDecimal(word, "ssrc")) }
        self.init(semantics: String(semantics), ssrcs: ssrcs)
    }

    public var attributeValue: String { ([semantics] + ssrcs.map(String.init)).joined(separator: " ") }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]` (RFC 3605 §2.1).
public struct SDPRTCPAddress: SDPAttributeValue {
    public static let attributeName = "rtcp"

    public var port: UInt16
    public var connection: SDPConnection?

    public init(port: UInt16, connection: SDPConnection? = nil) {
        self.port = port
        self.connection = connection
    }

    public init(attributeValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(attributeValue)
        guard words.count == 1 || words.count == 4 else { throw SDPValueError("expected '<port> [<nettype> <addrtype> <address>]'") }
        let connection = words.count == 4
            ? SDPConnection(networkType: String(words[1]), addressType: String(words[2]), address: String(words[3])) : nil
        self.init(port: try SDPScalars.requireDecimal(words[0], "port"), connection: connection)
    }

    public var attributeValue: String { "\(port)" + (connection.map { " " + $0.fieldValue } ?? "") }
}

/// `a=extmap` may stand at the session level or in a media section (RFC 8285 §8).
extension SDPAttributeHolder {
    public var extensionMaps: [SDPExtensionMap] {
        get { typedValues(SDPExtensionMap.self) }
        set { setTypedValues(newValue) }
    }
}
