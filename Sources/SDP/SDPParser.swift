extension SessionDescription {
    /// Parses a description written with CRLF or LF line ends (RFC 8866 §5).
    public init(parsing text: String) throws(SDPParseError) {
        self = try SDPParser.parse(SDPLines.split(Array(text.utf8)))
    }

    /// Parses raw bytes, e.g. a request body; invalid UTF-8 is reported with its line number.
    public init(parsing bytes: some Collection<UInt8>) throws(SDPParseError) {
        self = try SDPParser.parse(SDPLines.split(Array(bytes)))
    }
}

/// Builds a `SessionDescription` from typed lines following the RFC 8866 §9 grammar:
/// the session part (`v o s i u e p c b t r z k a`) then media sections (`m i c b k a`).
enum SDPParser {
    static func parse(_ lines: [SDPLine]) throws(SDPParseError) -> SessionDescription {
        guard let first = lines.first, first.type == "v" else {
            throw SDPParseError(line: lines.first?.number ?? 1, reason: .missingVersion)
        }
        guard first.value == "0" else { throw SDPParseError(line: first.number, reason: .unsupportedVersion(first.value)) }

        var session = SessionFields()
        var index = 1
        while index < lines.count, lines[index].type != "m" {
            try session.read(lines[index])
            index += 1
        }
        let endOfSession = index < lines.count ? lines[index].number : (lines.last?.number ?? 0) + 1
        guard let origin = session.origin else { throw SDPParseError(line: endOfSession, reason: .missingLine("o")) }
        guard let sessionName = session.sessionName else { throw SDPParseError(line: endOfSession, reason: .missingLine("s")) }
        guard !session.timings.isEmpty else { throw SDPParseError(line: endOfSession, reason: .missingLine("t")) }

        var media: [MediaDescription] = []
        while index < lines.count {
            var section = try mediaLine(lines[index])
            var seen: Set<Character> = []
            index += 1
            while index < lines.count, lines[index].type != "m" {
                try read(lines[index], into: &section, seen: &seen)
                index += 1
            }
            media.append(section)
        }

        return SessionDescription(
            origin: origin, sessionName: sessionName, information: session.information, uri: session.uri,
            emails: session.emails, phones: session.phones, connection: session.connection,
            bandwidths: session.bandwidths, timings: session.timings, timeZones: session.timeZones,
            encryptionKey: session.encryptionKey, attributes: session.attributes, media: media)
    }

    /// The session-level fields gathered so far.
    private struct SessionFields {
        var origin: SDPOrigin?
        var sessionName: String?
        var information: String?
        var uri: String?
        var emails: [String] = []
        var phones: [String] = []
        var connection: SDPConnection?
        var bandwidths: [SDPBandwidth] = []
        var timings: [SDPTiming] = []
        var timeZones: String?
        var encryptionKey: String?
        var attributes: [SDPAttribute] = []

        mutating func read(_ line: SDPLine) throws(SDPParseError) {
            switch line.type {
            case "v": throw SDPParseError(line: line.number, reason: .duplicateLine("v"))
            case "o": try once(&origin, line) { value throws(SDPValueError) in try SDPOrigin(fieldValue: value) }
            case "s": try once(&sessionName, line) { $0 }
            case "i": try once(&information, line) { $0 }
            case "u": try once(&uri, line) { $0 }
            case "e": emails.append(line.value)
            case "p": phones.append(line.value)
            case "c": try once(&connection, line) { value throws(SDPValueError) in try SDPConnection(fieldValue: value) }
            case "b": bandwidths.append(try field(line) { value throws(SDPValueError) in try SDPBandwidth(fieldValue: value) })
            case "t": timings.append(try field(line) { value throws(SDPValueError) in try SDPTiming(fieldValue: value) })
            case "r":
                // RFC 8866 §5.10: a repeat line belongs to the `t=` line before it.
                guard !timings.isEmpty else { throw SDPParseError(line: line.number, reason: .misplacedLine("r")) }
                timings[timings.count - 1].repeats.append(line.value)
            case "z": try once(&timeZones, line) { $0 }
            case "k": try once(&encryptionKey, line) { $0 }
            case "a": attributes.append(try attribute(line))
            default: throw SDPParseError(line: line.number, reason: .unknownLineType(line.type))
            }
        }
    }

    private static func read(_ line: SDPLine, into section: inout MediaDescription, seen: inout Set<Character>) throws(SDPParseError) {
        switch line.type {
        case "i", "k":
            guard seen.insert(line.type).inserted else { throw SDPParseError(line: line.number, reason: .duplicateLine(line.type)) }
            if line.type == "i" { section.title = line.value } else { section.encryptionKey = line.value }
        case "c": section.connections.append(try field(line) { value throws(SDPValueError) in try SDPConnection(fieldValue: value) })
        case "b": section.bandwidths.append(try field(line) { value throws(SDPValueError) in try SDPBandwidth(fieldValue: value) })
        case "a": section.attributes.append(try attribute(line))
        case "v", "o", "s", "u", "e", "p", "t", "r", "z":
            throw SDPParseError(line: line.number, reason: .misplacedLine(line.type))
        default: throw SDPParseError(line: line.number, reason: .unknownLineType(line.type))
        }
    }

    /// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` (RFC 8866 §5.14).
    private static func mediaLine(_ line: SDPLine) throws(SDPParseError) -> MediaDescription {
        try field(line) { value throws(SDPValueError) in
            let words = SDPScalars.words(value)
            guard words.count >= 4 else {
                throw SDPValueError("expected '<media> <port> <proto> <fmt> ...', found \(words.count) fields")
            }
            guard SDPScalars.isToken(words[0]) else { throw SDPValueError("bad media type '\(words[0])'") }
            let (portText, countText) = SDPScalars.splitOnce(words[1], at: "/")
            let port: UInt16 = try SDPScalars.requireDecimal(portText, "port")
            let numberOfPorts: UInt16? = try countText.map { text throws(SDPValueError) in
                try SDPScalars.requireDecimal(text, "number of ports")
            }
            // RFC 8866 §9: proto = token *("/" token).
            guard words[2].split(separator: "/", omittingEmptySubsequences: false).allSatisfy({ SDPScalars.isToken($0) }) else {
                throw SDPValueError("bad transport protocol '\(words[2])'")
            }
            for format in words[3...] where !SDPScalars.isToken(format) { throw SDPValueError("bad format '\(format)'") }
            return MediaDescription(kind: String(words[0]), port: port, numberOfPorts: numberOfPorts,
                                    proto: String(words[2]), formats: words[3...].map(String.init))
        }
    }

    /// `a=<attribute>` or `a=<attribute>:<value>` (RFC 8866 §5.13), with known values checked.
    private static func attribute(_ line: SDPLine) throws(SDPParseError) -> SDPAttribute {
        let (name, value) = SDPScalars.splitOnce(line.value, at: ":")
        guard SDPScalars.isToken(name) else {
            throw SDPParseError(line: line.number, reason: .invalidAttributeName(String(name)))
        }
        let attribute = SDPAttribute(String(name), value.map(String.init))
        do {
            try KnownAttributes.validate(attribute)
        } catch {
            throw SDPParseError(line: line.number, reason: .invalidAttribute(name: attribute.name, error.reason))
        }
        return attribute
    }

    private static func field<T>(_ line: SDPLine, _ read: (String) throws(SDPValueError) -> T) throws(SDPParseError) -> T {
        do {
            return try read(line.value)
        } catch {
            throw SDPParseError(line: line.number, reason: .invalidField(line.type, error.reason))
        }
    }

    private static func once<T>(_ slot: inout T?, _ line: SDPLine, _ read: (String) throws(SDPValueError) -> T) throws(SDPParseError) {
        guard slot == nil else { throw SDPParseError(line: line.number, reason: .duplicateLine(line.type)) }
        slot = try field(line, read)
    }
}
