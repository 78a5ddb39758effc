import MediaTransport
import RTP
import SRTP
import TandemBase

/// The Peer's media plane: RTP out and in on negotiated sections, RTCP reports, feedback and BYE
/// (RFC 3550, RFC 4585), all over the SRTP session the DTLS handshake keyed.
extension Peer {
    /// Sends an RTP packet on the audio section `mid`: the Peer sets its SSRC and the negotiated header
    /// extensions. Video goes through `sendVideoFrame`, which packetizes, paces and retransmits.
    public func sendRTP(_ packet: RTPPacket, mid: String, at now: Instant) throws(PeerError) {
        guard let index = sections.firstIndex(where: { $0.mid == mid }) else { throw .unknownMid(mid) }
        guard sections[index].sends else { throw .invalidState("mid \(mid) does not send") }
        guard sections[index].kind == .audio else { throw .invalidState("mid \(mid) is video: send frames with sendVideoFrame") }
        guard srtp != nil, connectionState == .connected else { throw .notConnected }
        var outgoing = packet
        outgoing.ssrc = sections[index].localSSRC
        try transmitRTP(outgoing, section: index, at: now)
    }

    /// Adds the negotiated header extensions (mid, transport-wide sequence number, abs-send-time) to a
    /// packet of section `index`, protects it and sends it on the selected pair.
    func transmitRTP(_ packet: RTPPacket, section index: Int, at now: Instant) throws(PeerError) {
        guard let srtp else { throw .notConnected }
        var outgoing = packet
        outgoing.extensions = []
        let section = sections[index]
        if let id = section.midExtensionID, let element = try? RTPHeaderExtension(id: UInt8(truncatingIfNeeded: id), data: Array(section.mid.utf8)) {
            outgoing.extensions.append(element)
        }
        if let id = section.absSendTimeExtensionID, let element = try? RTPHeaderExtension(id: UInt8(truncatingIfNeeded: id), data: Self.absSendTime(at: now)) {
            outgoing.extensions.append(element)
        }
        if let id = section.transportCCExtensionID {
            try? congestion.stamp(&outgoing, extensionID: UInt8(truncatingIfNeeded: id), at: now)
        }
        var datagram = outgoing.serialize(spareCapacity: SRTPSession.maximumTrailerLength)
        do { try srtp.protectRTP(&datagram) } catch { throw .invalidState("SRTP could not protect the packet: \(error)") }
        if outgoing.ssrc == section.localSSRC { sections[index].sendStatistics.record(outgoing, at: now) }
        counters.rtpPacketsSent += 1
        sendOnTransport(datagram)
    }

    /// abs-send-time: seconds in 6.18 fixed point, 24 bits, wrapping every 64 s (libwebrtc's
    /// http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time). Any steady clock will do.
    static func absSendTime(at now: Instant) -> [UInt8] {
        // Modulo the 64 s the field spans first, so the shift cannot overflow however long the clock ran.
        let nanoseconds = Int64(now.nanoseconds) % 64_000_000_000
        let value = UInt32(truncatingIfNeeded: (nanoseconds << 18) / 1_000_000_000) & 0xFF_FFFF
        return [UInt8(value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    /// Sends RTCP feedback alone in its packet (RFC 5506 §5: both sides negotiate rtcp-rsize).
    func sendRTCPFeedback(_ feedback: RTCPFeedback) {
        guard let srtp, let protected = try? srtp.protectRTCP(RTCPPacket.serializeCompound([.feedback(feedback)])) else { return }
        counters.rtcpPacketsSent += 1
        sendOnTransport(protected)
    }

    func receiveRTP(_ bytes: consuming [UInt8], at now: Instant) {
        guard let srtp else { counters.datagramsDropped += 1; return }
        // In place: the datagram's own array, handed over by `handleDatagram`, is decrypted without a copy.
        var plain = bytes
        guard (try? srtp.unprotectRTP(&plain)) != nil, let packet = try? RTPPacket.parse(plain) else {
            counters.srtpFailures += 1
            return
        }
        guard let index = sectionIndex(for: packet) else { counters.datagramsDropped += 1; return }
        counters.rtpPacketsReceived += 1
        if let id = sections[index].transportCCExtensionID,
           let number = TransportSequenceNumberExtension.sequenceNumber(in: packet, id: UInt8(truncatingIfNeeded: id)) {
            noteTransportSequenceNumber(number, ssrc: packet.ssrc, at: now)
        }
        // Retransmissions (RFC 4588) repeat the media stream: they stay out of its reception statistics.
        let isRetransmission = sections[index].rtxPayloadType == packet.payloadType
        if !isRetransmission { recordReception(packet, section: index, at: now) }
        if sections[index].kind == .video {
            receiveVideo(packet, section: index, isRetransmission: isRetransmission, at: now)
        } else {
            emit(.rtp(mid: sections[index].mid, packet: packet))
        }
    }

    /// Reception statistics per remote SSRC, for report blocks (RFC 3550 §6.4.1, appendix A.3).
    func recordReception(_ packet: RTPPacket, section index: Int, at now: Instant) {
        if sections[index].receiveStatistics[packet.ssrc] == nil {
            sections[index].receiveStatistics[packet.ssrc] = RTPReceiveStatistics(ssrc: packet.ssrc, clockRate: sections[index].clockRate(payloadType: packet.payloadType))
            if !sections[index].remoteSSRCs.contains(packet.ssrc) { sections[index].remoteSSRCs.append(packet.ssrc) }
        }
        _ = sections[index].receiveStatistics[packet.ssrc]?.record(sequenceNumber: packet.sequenceNumber, rtpTimestamp: packet.timestamp, arrival: now)
    }

    /// Which section an RTP packet belongs to: by SSRC, then by the mid header extension, then by a
    /// payload type only one section uses (RFC 9143 §9.2).
    func sectionIndex(for packet: RTPPacket) -> Int? {
        if let index = sections.firstIndex(where: { $0.remoteSSRCs.contains(packet.ssrc) && !$0.rejected }) { return index }
        for index in sections.indices where !sections[index].rejected {
            if let id = sections[index].midExtensionID, let data = packet.extensionData(id: UInt8(truncatingIfNeeded: id)) {
                let mid = String(decoding: data, as: UTF8.self)
                return sections.firstIndex { $0.mid == mid && !$0.rejected }
            }
        }
        let matches = sections.indices.filter { !sections[$0].rejected && sections[$0].codecs.contains { $0.payloadType == packet.payloadType } }
        return matches.count == 1 ? matches[0] : nil
    }

    func receiveRTCP(_ bytes: [UInt8], at now: Instant) {
        guard let srtp else { counters.datagramsDropped += 1; return }
        guard let plain = try? srtp.unprotectRTCP(bytes), let packets = try? RTCPPacket.parseCompound(plain) else {
            counters.srtpFailures += 1
            return
        }
        counters.rtcpPacketsReceived += 1
        for packet in packets {
            switch packet {
            case let .senderReport(report):
                for index in sections.indices where sections[index].receiveStatistics[report.ssrc] != nil {
                    sections[index].receiveStatistics[report.ssrc]?.recordSenderReport(report.ntpTimestamp, arrival: now)
                }
                noteReportBlocks(report.reportBlocks, at: now)
            case let .receiverReport(report):
                noteReportBlocks(report.reportBlocks, at: now)
            case let .goodbye(goodbye):
                counters.goodbyesReceived += goodbye.ssrcs.count
            case let .feedback(feedback):
                handleFeedback(feedback, at: now)
            default:
                break
            }
        }
    }

    /// Round-trip time from report blocks about our streams (RFC 3550 §6.4.1).
    func noteReportBlocks(_ blocks: [RTCPReportBlock], at now: Instant) {
        for block in blocks where sections.contains(where: { $0.localSSRC == block.ssrc }) {
            if let rtt = RoundTripTime.compute(reportBlock: block, arrival: ntpTime(at: now)) { updateRoundTripTime(rtt) }
        }
    }

    func ntpTime(at now: Instant) -> NTPTimestamp {
        NTPTimestamp(sinceUnixEpoch: configuration.wallClockAtZero + .nanoseconds(now.nanoseconds))
    }

    /// One compound packet per interval: SR from each sending stream (or an RR), report blocks for
    /// every received stream, and SDES CNAME (RFC 3550 §6.1, §6.4).
    func sendReports(at now: Instant) {
        // RFC 3550 §6.3.1: randomise the interval to 0.5–1.5 times its mean.
        nextRTCP = now + configuration.rtcpInterval * Double.random(in: 0.5...1.5, using: &random)
        guard let srtp, connectionState == .connected || connectionState == .disconnected, let first = sections.first(where: \.carriesRTP) else { return }
        var blocks: [RTCPReportBlock] = []
        for index in sections.indices {
            for ssrc in sections[index].receiveStatistics.keys.sorted() {
                if let block = sections[index].receiveStatistics[ssrc]?.makeReportBlock(at: now) { blocks.append(block) }
            }
        }
        var packets: [RTCPPacket] = []
        let senders = sections.filter { $0.sends && $0.sendStatistics.packetCount > 0 }
        if senders.isEmpty {
            packets.append(.receiverReport(RTCPReceiverReport(ssrc: first.localSSRC, reportBlocks: Array(blocks.prefix(31)))))
        } else {
            for (i, section) in senders.enumerated() {
                packets.append(.senderReport(section.sendStatistics.makeSenderReport(ntpTime: ntpTime(at: now), at: now,
                                                                                      reportBlocks: i == 0 ? Array(blocks.prefix(31)) : [])))
            }
        }
        packets.append(.sourceDescription(RTCPSourceDescription(chunks: sections.filter(\.carriesRTP).map {
            RTCPSourceDescription.Chunk(ssrc: $0.localSSRC, items: [.init(type: .cname, text: $0.cname)])
        })))
        if let protected = try? srtp.protectRTCP(RTCPPacket.serializeCompound(packets)) {
            counters.rtcpPacketsSent += 1
            sendOnTransport(protected)
        }
    }

    /// RTCP BYE for every local source, in a compound packet that starts with an RR (RFC 3550 §6.1, §6.6).
    func sendGoodbye() {
        let local = sections.filter(\.carriesRTP).map(\.localSSRC)
        guard let srtp, dtlsState == .connected, let first = local.first else { return }
        let packets: [RTCPPacket] = [.receiverReport(RTCPReceiverReport(ssrc: first, reportBlocks: [])),
                                     .goodbye(RTCPGoodbye(ssrcs: local))]
        if let protected = try? srtp.protectRTCP(RTCPPacket.serializeCompound(packets)) {
            counters.rtcpPacketsSent += 1
            sendOnTransport(protected)
        }
    }
}
