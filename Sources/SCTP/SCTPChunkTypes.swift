/// Chunk type codes (RFC 9260 §3.2, RFC 3758 §3.2, RFC 6525 §3.1, RFC 8260 §2.1).
enum SCTPChunkType {
    static let data: UInt8 = 0
    static let initiation: UInt8 = 1
    static let initiationAck: UInt8 = 2
    static let sack: UInt8 = 3
    static let heartbeat: UInt8 = 4
    static let heartbeatAck: UInt8 = 5
    static let abort: UInt8 = 6
    static let shutdown: UInt8 = 7
    static let shutdownAck: UInt8 = 8
    static let error: UInt8 = 9
    static let cookieEcho: UInt8 = 10
    static let cookieAck: UInt8 = 11
    static let shutdownComplete: UInt8 = 14
    static let reconfig: UInt8 = 130
    static let forwardTSN: UInt8 = 192
    static let iData: UInt8 = 64
    static let iForwardTSN: UInt8 = 194
}

/// Error cause codes carried in ABORT and ERROR chunks (RFC 9260 §3.3.10).
enum SCTPCauseCode {
    static let invalidStreamIdentifier: UInt16 = 1
    static let missingMandatoryParameter: UInt16 = 2
    static let staleCookie: UInt16 = 3
    static let outOfResource: UInt16 = 4
    static let unrecognizedChunkType: UInt16 = 6
    static let invalidMandatoryParameter: UInt16 = 7
    static let unrecognizedParameters: UInt16 = 8
    static let noUserData: UInt16 = 9
    static let userInitiatedAbort: UInt16 = 12
    static let protocolViolation: UInt16 = 13
}

/// One error cause (RFC 9260 §3.3.10): a code and its cause-specific bytes.
struct SCTPErrorCause: Equatable, Sendable {
    var code: UInt16
    var info: [UInt8]

    static func userInitiatedAbort(_ reason: String) -> SCTPErrorCause {
        SCTPErrorCause(code: SCTPCauseCode.userInitiatedAbort, info: Array(reason.utf8))
    }

    static func protocolViolation(_ reason: String) -> SCTPErrorCause {
        SCTPErrorCause(code: SCTPCauseCode.protocolViolation, info: Array(reason.utf8))
    }

    /// A human-readable account of the cause, for close reasons.
    var text: String {
        switch code {
        case SCTPCauseCode.userInitiatedAbort, SCTPCauseCode.protocolViolation:
            let reason = String(decoding: info, as: UTF8.self)
            return reason.isEmpty ? (code == SCTPCauseCode.userInitiatedAbort ? "user initiated abort" : "protocol violation") : reason
        case SCTPCauseCode.invalidStreamIdentifier: return "invalid stream identifier"
        case SCTPCauseCode.missingMandatoryParameter: return "missing mandatory parameter"
        case SCTPCauseCode.staleCookie: return "stale cookie"
        case SCTPCauseCode.outOfResource: return "out of resource"
        case SCTPCauseCode.unrecognizedChunkType: return "unrecognized chunk type"
        case SCTPCauseCode.invalidMandatoryParameter: return "invalid mandatory parameter"
        case SCTPCauseCode.unrecognizedParameters: return "unrecognized parameters"
        case SCTPCauseCode.noUserData: return "no user data"
        default: return "error cause \(code)"
        }
    }
}

/// A DATA chunk (RFC 9260 §3.3.1) or an I-DATA chunk (RFC 8260 §2.1). The payload is a slice of the
/// received packet or of the sent message, so it is never copied on its way through the stack.
struct SCTPDataChunk: Equatable, Sendable {
    var tsn: UInt32
    var streamID: UInt16
    var ssn: UInt16
    /// The payload protocol identifier; an I-DATA chunk carries it in its first fragment only.
    var ppid: UInt32
    var unordered: Bool
    var beginning: Bool
    var ending: Bool
    /// The I bit: the sender asks for a SACK without delay (RFC 7053 §3).
    var immediate: Bool = false
    var payload: ArraySlice<UInt8>
    /// I-DATA (RFC 8260): fragments of different messages may interleave; they are told apart by the
    /// Message Identifier and ordered by the Fragment Sequence Number instead of SSN and TSN.
    var interleaved = false
    var messageID: UInt32 = 0
    var fragmentSequence: UInt32 = 0

    static let headerSize = 16
    static let interleavedHeaderSize = 20

    var headerSize: Int { interleaved ? Self.interleavedHeaderSize : Self.headerSize }
}

/// Parameters of an INIT or INIT ACK chunk (RFC 9260 §3.3.2, §3.3.3).
struct SCTPInitChunk: Equatable, Sendable {
    var initiateTag: UInt32
    var advertisedReceiverWindow: UInt32
    var outboundStreams: UInt16
    var inboundStreams: UInt16
    var initialTSN: UInt32
    var parameters: [SCTPParameter]
}

/// A Selective Acknowledgement (RFC 9260 §3.3.4). Gap blocks are offsets from the cumulative TSN.
struct SCTPSackChunk: Equatable, Sendable {
    var cumulativeTSN: UInt32
    var advertisedReceiverWindow: UInt32
    var gapBlocks: [(start: UInt16, end: UInt16)]
    var duplicateTSNs: [UInt32]

    static func == (a: SCTPSackChunk, b: SCTPSackChunk) -> Bool {
        a.cumulativeTSN == b.cumulativeTSN && a.advertisedReceiverWindow == b.advertisedReceiverWindow
            && a.gapBlocks.elementsEqual(b.gapBlocks, by: { $0.start == $1.start && $0.end == $1.end })
            && a.duplicateTSNs == b.duplicateTSNs
    }
}

/// FORWARD TSN (RFC 3758 §3.2): the receiver moves its cumulative TSN and skips the listed ordered
/// SSNs; or I-FORWARD TSN (RFC 8260 §2.3), which lists Message Identifiers, ordered or not.
struct SCTPForwardTSNChunk: Equatable, Sendable {
    struct Skipped: Equatable, Sendable {
        var streamID: UInt16
        var ssn: UInt16 = 0
        var unordered = false
        var messageID: UInt32 = 0
    }
    var newCumulativeTSN: UInt32
    var skipped: [Skipped]
    var interleaved = false

    var entrySize: Int { interleaved ? 8 : 4 }
}

/// RE-CONFIG parameters (RFC 6525 §4).
enum SCTPReconfigParameter: Equatable, Sendable {
    /// Outgoing SSN Reset Request (§4.1).
    case outgoingReset(requestSequence: UInt32, responseSequence: UInt32, senderLastTSN: UInt32, streams: [UInt16])
    /// Incoming SSN Reset Request (§4.2).
    case incomingReset(requestSequence: UInt32, streams: [UInt16])
    /// Re-configuration Response (§4.4), without the optional TSN fields.
    case response(responseSequence: UInt32, result: UInt32)
    /// Any other request (SSN/TSN reset, add streams): its type, request sequence number and body.
    case other(type: UInt16, value: [UInt8])

    static let outgoingResetType: UInt16 = 13
    static let incomingResetType: UInt16 = 14
    static let responseType: UInt16 = 16
}

/// Re-configuration Response results (RFC 6525 §4.4).
enum SCTPReconfigResult {
    static let successNothingToDo: UInt32 = 0
    static let successPerformed: UInt32 = 1
    static let denied: UInt32 = 2
    static let errorWrongSSN: UInt32 = 3
    static let errorRequestAlreadyInProgress: UInt32 = 4
    static let errorBadSequenceNumber: UInt32 = 5
    static let inProgress: UInt32 = 6
}

/// One chunk of an SCTP packet (RFC 9260 §3.2).
enum SCTPChunk: Equatable, Sendable {
    case data(SCTPDataChunk)
    case initiation(SCTPInitChunk)
    case initiationAck(SCTPInitChunk)
    case sack(SCTPSackChunk)
    case heartbeat(info: [UInt8])
    case heartbeatAck(info: [UInt8])
    /// T bit set: the verification tag is the sender's own, "reflected" (§3.3.7, §8.5.1).
    case abort(reflectedTag: Bool, causes: [SCTPErrorCause])
    case shutdown(cumulativeTSN: UInt32)
    case shutdownAck
    case error(causes: [SCTPErrorCause])
    case cookieEcho(cookie: [UInt8])
    case cookieAck
    case shutdownComplete(reflectedTag: Bool)
    case forwardTSN(SCTPForwardTSNChunk)
    case reconfig([SCTPReconfigParameter])
    /// A chunk type this stack does not implement: what to do depends on its upper two bits (§3.2).
    case unknown(type: UInt8, flags: UInt8, value: [UInt8])
}
