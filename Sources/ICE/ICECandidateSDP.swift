import TandemBase

/// Why a `candidate` attribute could not be parsed (RFC 8839 §5.1).
public enum ICECandidateParseError: Error, Equatable, Sendable {
    case missingFields
    case invalidField(name: String, value: String)
    /// The connection address is a host name (for example an mDNS `.local` name) rather than an IP.
    case unresolvedAddress(String)
}

extension ICECandidate {
    /// Parses a candidate attribute value (RFC 8839 §5.1):
    /// `candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
    /// [raddr <addr>] [rport <port>] *(<extension name> <value>)`. A leading `a=` and/or `candidate:`
    /// is optional; unknown extension attributes are kept.
    public init(sdp text: String) throws(ICECandidateParseError) {
        var line = Self.trimmed(text)
        if line.hasPrefix("a=") { line = line.dropFirst(2) }
        if line.hasPrefix("candidate:") { line = line.dropFirst("candidate:".count) }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count >= 8 else { throw .missingFields }
        let foundation = fields[0]
        guard (1...32).contains(foundation.count), foundation.allSatisfy(Self.isICEChar) else {
            throw .invalidField(name: "foundation", value: foundation)
        }
        guard let component = UInt16(fields[1]), component >= 1 else { throw .invalidField(name: "component", value: fields[1]) }
        let transport = fields[2].lowercased()
        // RFC 8445 §5.1.2.1: 1 ≤ priority ≤ 2^31 − 1.
        guard let priority = UInt32(fields[3]), (1...0x7FFF_FFFF).contains(priority) else { throw .invalidField(name: "priority", value: fields[3]) }
        guard let ip = IPAddress(fields[4]) else {
            if fields[4].contains(where: { $0.isLetter }) { throw .unresolvedAddress(fields[4]) }
            throw .invalidField(name: "connection-address", value: fields[4])
        }
        guard let port = UInt16(fields[5]) else { throw .invalidField(name: "port", value: fields[5]) }
        guard fields[6] == "typ" else { throw .invalidField(name: "typ", value: fields[6]) }
        guard let type = ICECandidateType(rawValue: fields[7]) else { throw .invalidField(name: "cand-type", value: fields[7]) }

        var relatedIP: IPAddress?
        var relatedPort: UInt16?
        var extensions: [ICECandidateExtension] = []
        var index = 8
        while index < fields.count {
            let name = fields[index]
            guard index + 1 < fields.count else { throw .invalidField(name: name, value: "") }
            let value = fields[index + 1]
            switch name {
            case "raddr":
                guard let parsed = IPAddress(value) else { throw .invalidField(name: name, value: value) }
                relatedIP = parsed
            case "rport":
                guard let parsed = UInt16(value) else { throw .invalidField(name: name, value: value) }
                relatedPort = parsed
            default:
                extensions.append(ICECandidateExtension(name: name, value: value))
            }
            index += 2
        }
        let related = relatedIP.map { TransportAddress(ip: $0, port: relatedPort ?? 0) }
        self.init(foundation: foundation, component: component, transport: transport, priority: priority,
                  address: TransportAddress(ip: ip, port: port), type: type, relatedAddress: related,
                  extensions: extensions)
    }

    /// The attribute value, starting with `candidate:` (the form of W3C `RTCIceCandidate.candidate`).
    public var sdpValue: String {
        var parts = ["candidate:\(foundation)", "\(component)", transport, "\(priority)", "\(address.ip)", "\(address.port)", "typ", type.rawValue]
        if let relatedAddress {
            parts += ["raddr", "\(relatedAddress.ip)", "rport", "\(relatedAddress.port)"]
        }
        for item in extensions { parts += [item.name, item.value] }
        return parts.joined(separator: " ")
    }

    private static func trimmed(_ text: String) -> Substring {
                var line = Substring(text)
        while let first = line.first, first.isWhitespace { line = line.dropFirst() }
        while let last = line.last, last.isWhitespace { line = line.dropLast() }
        return line
    }

    /// RFC 8839 §5.1: ice-char = ALPHA / DIGIT / "+" / "/".
    private static func isICEChar(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "+" || c == "/")
    }
}
