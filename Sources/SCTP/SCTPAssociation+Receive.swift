import TandemBase

/// Incoming packets: checksum and verification tag (§6.8, §8.5), chunk dispatch with the unknown-chunk
/// rules of §3.2, DATA reception and reassembly (§6.2, §6.5), FORWARD TSN (RFC 3758 §3.6).
extension SCTPAssociation {
    /// Gap ack block offsets are 16-bit (§3.3.4): DATA further ahead of the cumulative TSN is dropped.
    static let maxTSNDistance: UInt32 = 65_535
    static let maxReportedDuplicates = 32
    /// Bound on the separate runs of TSNs held above the cumulative TSN; beyond it out-of-order DATA
    /// is dropped (the peer retransmits it), so a peer cannot make the bookkeeping grow without limit.
    static let maxGapRanges = 4096

    public func handlePacket(_ bytes: [UInt8], at now: Instant) {
        self.now = now
        stats.packetsReceived += 1
        stats.bytesReceived += bytes.count
        let packet: SCTPPacket
        do {
            packet = try SCTPPacket.decode(bytes)
        } catch {
            stats.malformedPacketsDropped += 1
            return
        }
        guard packet.sourcePort == configuration.remotePort, packet.destinationPort == configuration.localPort else {
            stats.malformedPacketsDropped += 1
            return
        }
        if terminated {
            respondOutOfTheBlue(packet)
            return
        }
        guard verificationTagAccepted(packet) else {
            stats.verificationTagMismatches += 1
            return
        }
        var packetHadData = false
        chunks: for chunk in packet.chunks {
            switch chunk {
            case let .data(data):
                packetHadData = true
                guard receiveData(data) else { break chunks }
            case let .initiation(initChunk):
                // §6.10: INIT is never bundled.
                guard packet.chunks.count == 1 else { break chunks }
                handleInit(initChunk, unrecognized: packet.unrecognizedParameters)
            case let .initiationAck(initChunk):
                guard packet.chunks.count == 1 else { break chunks }
                handleInitAck(initChunk, unrecognized: packet.unrecognizedParameters)
            case let .cookieEcho(cookie): handleCookieEcho(cookie)
            case .cookieAck: handleCookieAck()
            case let .sack(sack): handleSack(sack)
            case let .heartbeat(info):
                // §8.3: echo the Heartbeat Info back unchanged.
                if state != .closed && state != .cookieWait { controlChunks.append(.heartbeatAck(info: info)) }
            case let .heartbeatAck(info): handleHeartbeatAck(info)
            case let .abort(_, causes):
                close(.abortedByPeer(causes.isEmpty ? "ABORT without a cause" : causes.map(\.text).joined(separator: "; ")))
                break chunks
            case let .shutdown(cumulativeTSN): handleShutdown(cumulativeTSN: cumulativeTSN)
            case .shutdownAck: handleShutdownAck()
            case .shutdownComplete: handleShutdownComplete()
            case .error: break
            case let .forwardTSN(forward): handleForwardTSN(forward)
            case let .reconfig(parameters): handleReconfig(parameters)
            case let .unknown(type, _, _):
                stats.unknownChunksReceived += 1
                // §3.2: the upper two bits say whether to go on and whether to report the chunk.
                if type & 0x40 != 0 {
                    var writer = SCTPPacketWriter(capacity: 64)
                    chunk.encode(into: &writer)
                    controlChunks.append(.error(causes: [SCTPErrorCause(code: SCTPCauseCode.unrecognizedChunkType,
                                                                        info: writer.bytes)]))
                }
                if type & 0x80 == 0 { break chunks }
            }
            if terminated { break }
        }
        if packetHadData && !terminated { scheduleSack() }
    }

    /// §8.5 and §8.5.1: which verification tag each packet must carry.
    func verificationTagAccepted(_ packet: SCTPPacket) -> Bool {
        guard let first = packet.chunks.first else { return false }
        switch first {
        case .initiation:
            return packet.verificationTag == 0
        case let .abort(reflected, _), let .shutdownComplete(reflected):
            return packet.verificationTag == (reflected ? peerTag : localTag) && (peerTag != 0 || !reflected)
        default:
            return packet.verificationTag == localTag
        }
    }

    /// §8.4 item 5: after the association ended, a SHUTDOWN ACK still gets its SHUTDOWN COMPLETE,
    /// so a peer whose COMPLETE was lost can finish too.
    func respondOutOfTheBlue(_ packet: SCTPPacket) {
        guard packet.chunks.contains(where: { $0 == .shutdownAck }) else { return }
        sendPacket(tag: packet.verificationTag, [.shutdownComplete(reflectedTag: true)])
    }

    /// One DATA chunk (§6.2); false if the association was aborted because of it.
    func receiveData(_ chunk: SCTPDataChunk) -> Bool {
        guard state.acceptsData else { return true }
        stats.dataChunksReceived += 1
        let tsn = chunk.tsn
        if tracker.isReceived(tsn) {
            stats.duplicateTSNsReceived += 1
            if duplicateTSNs.count < Self.maxReportedDuplicates { duplicateTSNs.append(tsn) }
            sackImmediately = true
            return true
        }
        // RFC 8260 §2.2: with I-DATA negotiated DATA is a protocol violation, and the other way round.
        guard chunk.interleaved == interleaving else {
            abort(reason: "\(chunk.interleaved ? "I-DATA" : "DATA") chunk where the association uses \(interleaving ? "I-DATA" : "DATA")", at: now)
            return false
        }
        let cumulative = tracker.cumulative
        let inSequence = tsn == cumulative &+ 1
        // §6.2: beyond what we could report, with too many gaps, or with the buffer full, the chunk is
        // dropped unacknowledged; the next in-sequence chunk is always taken so that the queue can drain.
        guard tsn &- cumulative <= Self.maxTSNDistance, inSequence || tracker.ranges.count < Self.maxGapRanges,
              inSequence || reassemblyBytes + chunk.payload.count <= Int(configuration.receiveWindow) else {
            stats.dataChunksDroppedNoBuffer += 1
            sackImmediately = true
            return true
        }
        let hadGaps = tracker.hasGaps
        _ = tracker.insert(tsn)
        // §6.7: a gap, or a filled gap, is reported at once; so is the I bit (RFC 7053).
        if !inSequence || hadGaps || chunk.immediate { sackImmediately = true }
        sackOwed = true
        // §6.5: DATA on a stream the peer may not use is reported; its TSN is still acknowledged.
        guard chunk.streamID < inboundStreamCount else {
            controlChunks.append(.error(causes: [SCTPErrorCause(code: SCTPCauseCode.invalidStreamIdentifier,
                                                                info: [UInt8(chunk.streamID >> 8), UInt8(chunk.streamID & 0xFF), 0, 0])]))
            return true
        }
        do {
            if interleaving {
                try interleavedReassembly.add(chunk, delivering: &delivered)
            } else {
                try reassembly.add(chunk, delivering: &delivered)
            }
        } catch {
            guard case let .messageTooLarge(stream, size) = error else { return true }
            abort(reason: "message of at least \(size) bytes on stream \(stream) exceeds the \(configuration.maxMessageSize)-byte limit",
                  at: now)
            return false
        }
        deliverMessages()
        return true
    }

    func deliverMessages() {
        for message in delivered {
            stats.messagesReceived += 1
            emit(.message(stream: message.stream, ppid: message.ppid, payload: message.payload))
        }
        delivered.removeAll(keepingCapacity: true)
    }

    /// §6.2: acknowledge at least every second packet with DATA, else within the delayed-ack timeout.
    func scheduleSack() {
        packetsSinceSack += 1
        if packetsSinceSack >= 2 { sackImmediately = true }
        if !sackImmediately && delayedAckDeadline == nil {
            delayedAckDeadline = now + configuration.delayedAckTimeout
        }
    }

    /// The a_rwnd we advertise: the receive window less what reassembly holds (§6.2).
    var advertisedWindow: UInt32 {
        UInt32(max(0, Int(configuration.receiveWindow) - reassemblyBytes))
    }

    var reassemblyBytes: Int { interleaving ? interleavedReassembly.bufferedBytes : reassembly.bufferedBytes }

    func makeSack() -> SCTPChunk {
        // Room for the SACK in one packet: header 12, chunk header 16, then 4 bytes per block or duplicate.
        let room = (configuration.mtu - SCTPPacket.headerSize - 16) / 4 - duplicateTSNs.count
        let sack = SCTPSackChunk(cumulativeTSN: tracker.cumulative, advertisedReceiverWindow: advertisedWindow,
                                 gapBlocks: tracker.gapBlocks(limit: max(0, min(room, 128))), duplicateTSNs: duplicateTSNs)
        sackImmediately = false
        sackOwed = false
        packetsSinceSack = 0
        delayedAckDeadline = nil
        duplicateTSNs.removeAll()
        return .sack(sack)
    }

    /// RFC 3758 §3.6: move the cumulative TSN, skip the listed SSNs, deliver what that unblocks, and SACK.
    func handleForwardTSN(_ forward: SCTPForwardTSNChunk) {
        guard state.acceptsData else { return }
        sackImmediately = true
        guard forward.interleaved == interleaving else {
            abort(reason: "\(forward.interleaved ? "I-FORWARD TSN" : "FORWARD TSN") chunk where the association uses \(interleaving ? "I-DATA" : "DATA")", at: now)
            return
        }
        guard tsnLess(tracker.cumulative, forward.newCumulativeTSN) else { return }
        tracker.forward(to: forward.newCumulativeTSN)
        if interleaving {
            interleavedReassembly.forward(skipped: forward.skipped, delivering: &delivered)
        } else {
            reassembly.forward(to: forward.newCumulativeTSN, skipped: forward.skipped, delivering: &delivered)
        }
        deliverMessages()
    }
}
