/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866 §5.2).
public struct SDPOrigin: Hashable, Sendable {
    public var username: String
    public var sessionId: UInt64
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    /// JSEP (RFC 8829 §5.2.1): username "-", "IN IP4 127.0.0.1" as a meaningless address.
    public init(username: String = "-", sessionId: UInt64, sessionVersion: UInt64,
                networkType: String = "IN", addressType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionId = sessionId
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init(fieldValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(fieldValue)
        guard words.count == 6 else { throw SDPValueError("expected 6 fields, found \(words.count)") }
        self.init(username: String(words[0]),
                  sessionId: try SDPScalars.requireDecimal(words[1], "session id"),
                  sessionVersion: try SDPScalars.requireDecimal(words[2], "session version"),
                  networkType: String(words[3]), addressType: String(words[4]), address: String(words[5]))
    }

    var fieldValue: String {
        "\(username) \(sessionId) \(sessionVersion) \(networkType) \(addressType) \(address)"
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7); the address keeps any `/ttl/count` suffix.
public struct SDPConnection: Hashable, Sendable {
    public var networkType: String
    public var addressType: String
    public var address: String

    /// JSEP (RFC 8829 §5.2.1) puts `c=IN IP4 0.0.0.0` in each m= section of an offer before candidates exist.
    public init(networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init(fieldValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(fieldValue)
        guard words.count == 3 else { throw SDPValueError("expected 3 fields, found \(words.count)") }
        self.init(networkType: String(words[0]), addressType: String(words[1]), address: String(words[2]))
    }

    var fieldValue: String { "\(networkType) \(addressType) \(address)" }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8), e.g. `AS` in kilobits per second or `TIAS` in bits per second.
public struct SDPBandwidth: Hashable, Sendable {
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    init(fieldValue: String) throws(SDPValueError) {
        let (type, value) = SDPScalars.splitOnce(fieldValue, at: ":")
        guard SDPScalars.isToken(type), let value else { throw SDPValueError("expected <bwtype>:<bandwidth>") }
        self.init(type: String(type), value: try SDPScalars.requireDecimal(value, "bandwidth"))
    }

    var fieldValue: String { "\(type):\(value)" }
}

/// `t=<start-time> <stop-time>` (RFC 8866 §5.9) with its `r=` repeat lines kept as text (RFC 8866 §5.10).
public struct SDPTiming: Hashable, Sendable {
    public var start: UInt64
    public var stop: UInt64
    public var repeats: [String]

    /// JSEP (RFC 8829 §5.2.1): `t=0 0`, an unbounded session.
    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }

    init(fieldValue: String) throws(SDPValueError) {
        let words = SDPScalars.words(fieldValue)
        guard words.count == 2 else { throw SDPValueError("expected 2 fields, found \(words.count)") }
        self.init(start: try SDPScalars.requireDecimal(words[0], "start time"),
                  stop: try SDPScalars.requireDecimal(words[1], "stop time"))
    }

    var fieldValue: String { "\(start) \(stop)" }
}
