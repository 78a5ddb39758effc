import RTP
import SRTP
import TandemBase

/// The Peer's media plane: RTP out and in on negotiated sections, RTCP reports, feedback and BYE
/// (RFC 3550, RFC 4585), all over the SRTP session the DTLS handshake keyed.
extension Peer {
    /// Sends an RTP packet on `mid`: the Peer sets its SSRC and the negotiated header extensions.
    public func sendRTP(_ packet: RTPPacket, mid: String, at now: Instant) throws(PeerError) {
        guard let index = sections.firstIndex(where: { $0.mid == mid }) else { throw .unknownMid(mid) }
        guard sections[index].sends else { throw .invalidState("mid \(mid) does not send") }
        guard let srtp, connectionState == .connected else { throw .notConnected }
        var outgoing = packet
        outgoing.ssrc = sections[index].localSSRC
        outgoing.extensions = []
        if let id = sections[index].midExtensionID, let element = try? RTPHeaderExtension(id: UInt8(truncatingIfNeeded: id), data: Array(mid.utf8)) {
            outgoing.extensions = [element]
        }
        var datagram = outgoing.serialize(spareCapacity: SRTPSession.maximumTrailerLength)
        do { try srtp.protectRTP(&datagram) } catch { throw .invalidState("SRTP could not protect the packet: \(error)") }
        sections[index].sendStatistics.record(outgoing, at: now)
        counters.rtpPacketsSent += 1
        sendOnTransport(datagram)
    }

    /// Sends feedback about the stream received on `mid` (its media SSRC is filled in here).
    public func sendFeedback(_ feedback: RTCPFeedback, mid: String, at now: Instant) throws(PeerError) {
        guard let section = sections.first(where: { $0.mid == mid }) else { throw .unknownMid(mid) }
        guard let srtp, connectionState == .connected else { throw .notConnected }
        guard let mediaSSRC = section.receiveStatistics.keys.first ?? section.remoteSSRCs.first else { return }
        var outgoing = feedback
        outgoing.senderSSRC = section.localSSRC
        outgoing.mediaSSRC = mediaSSRC
        if var entries = outgoing.fullIntraRequestEntries {
            for i in entries.indices { entries[i].ssrc = mediaSSRC }
            outgoing = .fullIntraRequest(senderSSRC: section.localSSRC, entries: entries)
        }
        // RFC 5506 §5: with rtcp-rsize a feedback packet may travel alone (both sides offer it).
        guard let protected = try? srtp.protectRTCP(RTCPPacket.serializeCompound([.feedback(outgoing)])) else { return }
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
        if sections[index].receiveStatistics[packet.ssrc] == nil {
            sections[index].receiveStatistics[packet.ssrc] = RTPReceiveStatistics(ssrc: packet.ssrc, clockRate: sections[index].clockRate(payloadType: packet.payloadType))
            if !sections[index].remoteSSRCs.contains(packet.ssrc) { sections[index].remoteSSRCs.append(packet.ssrc) }
        }
        _ = sections[index].receiveStatistics[packet.ssrc]?.record(sequenceNumber: packet.sequenceNumber, rtpTimestamp: packet.timestamp, arrival: now)
        counters.rtpPacketsReceived += 1
        emit(.rtp(mid: sections[index].mid, packet: packet))
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
                // FIR names its target in the FCI; its media SSRC field is 0 (RFC 5104 §4.3.1.2).
                let target = feedback.fullIntraRequestEntries?.first?.ssrc ?? feedback.mediaSSRC
                if let section = sections.first(where: { $0.localSSRC == target }) {
                    emit(.feedback(mid: section.mid, feedback))
                }
            default:
                break
            }
        }
    }

    /// Round-trip time from report blocks about our streams (RFC 3550 §6.4.1).
    func noteReportBlocks(_ blocks: [RTCPReportBlock], at now: Instant) {
        for block in blocks where sections.contains(where: { $0.localSSRC == block.ssrc }) {
            if let rtt = RoundTripTime.compute(reportBlock: block, arrival: ntpTime(at: now)) { roundTripTime = rtt }
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
