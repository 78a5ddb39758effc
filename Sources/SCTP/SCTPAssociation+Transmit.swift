import TandemBase

/// Outgoing packets: control chunks, SACK, FORWARD TSN, retransmissions and new DATA bundled into
/// packets of at most one MTU (§6.10), within the congestion and receive windows (§6.1, §7.2).
extension SCTPAssociation {
    /// The next packet to send, or nil when there is nothing to send now.
    public func pollTransmit() -> [UInt8]? {
        if let packet = pendingPackets.popFirst() { return counted(packet) }
        guard !terminated, state != .closed, state != .cookieWait else { return nil }
        startReconfigRequestIfReady()
        progressShutdown()
        let mtu = configuration.mtu
        var writer = SCTPPacketWriter(reusing: &transmitBuffer, capacity: mtu)
        SCTPPacket.writeHeader(sourcePort: configuration.localPort, destinationPort: configuration.remotePort,
                               verificationTag: peerTag, into: &writer)
        var index = 0
        while index < controlChunks.count {
            let before = writer.count
            controlChunks[index].encode(into: &writer)
            // A control chunk that does not fit waits for the next packet, unless it is alone.
            if writer.count > mtu && before > SCTPPacket.headerSize {
                writer.bytes.removeSubrange(before...)
                break
            }
            index += 1
        }
        controlChunks.removeFirst(index)
        if sackImmediately || (sackOwed && (writer.count > SCTPPacket.headerSize || canSendData)) {
            makeSack().encode(into: &writer)
        }
        writeForwardTSN(into: &writer)
        if state.isUp {
            let dataStart = writer.count
            writeRetransmissions(into: &writer)
            if state.sendsNewData {
                writeNewData(into: &writer)
            }
            if writer.count > dataStart {
                if t3Deadline == nil { t3Deadline = now + rto }
                // §8.3: heartbeats are for idle paths; DATA in flight is watched by T3-rtx.
                if heartbeatAckDeadline == nil { heartbeatDeadline = now + configuration.heartbeatInterval }
            }
        }
        // Abandoning a chunk instead of retransmitting it may have just made a FORWARD TSN due.
        writeForwardTSN(into: &writer)
        guard writer.count > SCTPPacket.headerSize else {
            transmitBuffer = writer.take()
            return nil
        }
        let packet = SCTPPacket.finish(&writer)
        // Kept for the next packet: once the caller has passed this one on (DTLS copies it into a
        // record) and let go of it, its buffer is written again instead of a new one allocated.
        transmitBuffer = packet
        return counted(packet)
    }

    /// The pending FORWARD TSN, if it fits this packet (or the packet is still empty).
    private func writeForwardTSN(into writer: inout SCTPPacketWriter) {
        guard forwardTSNPending else { return }
        let chunk = makeForwardTSN()
        guard case let .forwardTSN(forward) = chunk,
              writer.count + 8 + forward.entrySize * forward.skipped.count <= configuration.mtu || writer.count == SCTPPacket.headerSize
        else { return }
        forwardTSNPending = false
        stats.forwardTSNsSent += 1
        chunk.encode(into: &writer)
        if t3Deadline == nil { t3Deadline = now + rto }
    }

    private func counted(_ packet: [UInt8]) -> [UInt8] {
        stats.packetsSent += 1
        stats.bytesSent += packet.count
        return packet
    }

    /// The bytes that may be in flight: cwnd (§7.2), within the measured path's limit if one is set.
    var sendWindow: Int { min(congestionWindow, inFlightCeiling) }

    /// Whether DATA could go out now (used to bundle a delayed SACK with it).
    var canSendData: Bool {
        guard state.sendsNewData else { return false }
        if retransmitCount > 0 && (fastRetransmitBurst || flightSize < sendWindow) { return true }
        return sendQueue.hasQueuedData && flightSize < sendWindow && (peerReceiveWindow > 0 || flightSize == 0)
    }

    /// Chunks marked for retransmission, oldest first (§6.3.3 E3, §7.2.4).
    private func writeRetransmissions(into writer: inout SCTPPacketWriter) {
        let mtu = configuration.mtu
        while retransmitCount > 0, let tsn = retransmitQueue.first {
            let index = Int(tsn &- cumulativeAckTSN) - 1
            guard index >= 0, index < outstanding.count, outstanding[index].state == .needsRetransmit else {
                retransmitQueue.popFirst()
                continue
            }
            if shouldAbandon(outstanding[index]) {
                retransmitQueue.popFirst()
                abandonMessage(at: index)
                continue
            }
            guard fastRetransmitBurst || flightSize < sendWindow else { break }
            var chunk = outstanding[index]
            guard writer.count + chunk.size <= mtu else { break }
            retransmitQueue.popFirst()
            SCTPChunk.data(chunk.data).encode(into: &writer)
            if chunk.markedByFastRetransmit {
                stats.fastRetransmissions += 1
                chunk.fastRetransmitted = true
            } else {
                stats.timeoutRetransmissions += 1
            }
            chunk.state = .inFlight
            chunk.transmissions += 1
            chunk.missIndications = 0
            chunk.sentAt = now
            chunk.deliveredAtSend = path.delivered
            outstanding[index] = chunk
            retransmitCount -= 1
            flightSize += chunk.size
        }
        fastRetransmitBurst = false
    }

    /// New DATA from the stream scheduler while cwnd and the peer's window allow (§6.1 A and B; a
    /// zero window still lets one chunk probe it when nothing is in flight).
    private func writeNewData(into writer: inout SCTPPacketWriter) {
        let mtu = configuration.mtu
        let headerSize = interleaving ? SCTPDataChunk.interleavedHeaderSize : SCTPDataChunk.headerSize
        let maxPayload = (mtu - SCTPPacket.headerSize - headerSize) & ~3
        var expired: [(stream: UInt16, bytes: Int)] = []
        defer {
            for (stream, bytes) in expired {
                stats.messagesAbandoned += 1
                releaseBuffered(bytes, stream: stream)
            }
        }
        while flightSize < sendWindow, peerReceiveWindow > 0 || flightSize == 0 {
            let room = (mtu - writer.count - headerSize) & ~3
            // Not worth a sliver: the next packet takes a full fragment.
            guard room >= min(maxPayload, 256) else { return }
            guard let fragment = sendQueue.nextFragment(maxPayload: min(room, maxPayload), firstTSN: nextTSN,
                                                        now: now, expired: &expired) else { return }
            // RFC 7053 §4.1: the last chunk before the queue runs dry asks for its SACK at once. The
            // receiver would otherwise hold it for the delayed-ack timeout (§6.2, 200 ms), as long as
            // the minimum RTO, and T3-rtx would retransmit a chunk that arrived.
            let chunk = SCTPDataChunk(tsn: nextTSN, streamID: fragment.stream, ssn: fragment.ssn, ppid: fragment.ppid,
                                      unordered: fragment.unordered, beginning: fragment.beginning,
                                      ending: fragment.ending, immediate: !sendQueue.hasQueuedData, payload: fragment.payload,
                                      interleaved: interleaving, messageID: fragment.messageID,
                                      fragmentSequence: fragment.fragmentSequence)
            nextTSN &+= 1
            SCTPChunk.data(chunk).encode(into: &writer)
            let sent = SCTPSentChunk(data: chunk, sentAt: now, deliveredAtSend: path.delivered, expiry: fragment.expiry,
                                     maxRetransmits: fragment.maxRetransmits, messageFirstTSN: fragment.messageFirstTSN)
            outstanding.append(sent)
            flightSize += sent.size
            peerReceiveWindow = max(0, peerReceiveWindow - sent.size)
            stats.dataChunksSent += 1
        }
    }

    // MARK: - Timers

    public func handleTimeout(at now: Instant) {
        self.now = now
        guard !terminated else { return }
        if let deadline = t1Deadline, deadline <= now { t1Expired() }
        if let deadline = t3Deadline, deadline <= now, !terminated { t3Expired() }
        if let deadline = delayedAckDeadline, deadline <= now {
            delayedAckDeadline = nil
            if sackOwed { sackImmediately = true }
        }
        if let deadline = t2Deadline, deadline <= now, !terminated { t2Expired() }
        if let deadline = heartbeatAckDeadline, deadline <= now, !terminated { heartbeatUnanswered() }
        if let deadline = heartbeatDeadline, deadline <= now, !terminated { sendHeartbeat() }
        if let deadline = reconfigDeadline, deadline <= now, !terminated { reconfigExpired() }
    }
}
