import TandemBase

/// Counters for one outgoing RTP stream, and the sender report built from them (RFC 3550 §6.4.1).
public struct RTPSendStatistics: Sendable {
    public let ssrc: UInt32
    /// RTP timestamp clock rate of the stream (e.g. 90000 for video).
    public let clockRate: Int
    public private(set) var packetCount: UInt32 = 0
    /// Payload octets only: no header, no padding (RFC 3550 §6.4.1).
    public private(set) var octetCount: UInt32 = 0
    private var lastSent: (rtpTimestamp: UInt32, at: Instant)?

    public init(ssrc: UInt32, clockRate: Int) {
        self.ssrc = ssrc
        self.clockRate = clockRate
    }

    /// Accounts one packet as sent at `now`. The counters wrap as RFC 3550 §6.4.1 allows.
    public mutating func record(_ packet: RTPPacket, at now: Instant) {
        packetCount &+= 1
        octetCount &+= UInt32(truncatingIfNeeded: packet.payload.count)
        lastSent = (packet.timestamp, now)
    }

    /// A sender report for `now`, whose wall-clock time is `ntpTime`. Its RTP timestamp is the
    /// last sent packet's, advanced by the time since at the clock rate, so that it names the
    /// same instant as the NTP timestamp (RFC 3550 §6.4.1).
    public func makeSenderReport(ntpTime: NTPTimestamp, at now: Instant, reportBlocks: [RTCPReportBlock] = []) -> RTCPSenderReport {
        var rtpTimestamp: UInt32 = 0
        if let lastSent {
            let elapsed = (now - lastSent.at).nanoseconds
            let ticks = elapsed.multipliedFullWidth(by: Int64(clockRate))
            let (quotient, _) = Int64(1_000_000_000).dividingFullWidth((ticks.high, ticks.low))
            rtpTimestamp = lastSent.rtpTimestamp &+ UInt32(truncatingIfNeeded: quotient)
        }
        return RTCPSenderReport(ssrc: ssrc, ntpTimestamp: ntpTime, rtpTimestamp: rtpTimestamp,
                                packetCount: packetCount, octetCount: octetCount, reportBlocks: reportBlocks)
    }
}
