import TandemBase

/// Graceful shutdown (RFC 9260 §9.2) and path supervision with HEARTBEAT (§8.3).
extension SCTPAssociation {
    /// Starts a graceful shutdown: queued and in-flight data is delivered first, then SHUTDOWN goes out.
    public func shutdown(at now: Instant) {
        self.now = now
        guard !terminated else { return }
        switch state {
        case .closed, .cookieWait:
            close(.shutdown)
        case .cookieEchoed:
            // The peer may already consider the association up: tell it this one is gone.
            sendPacket(tag: peerTag, [.abort(reflectedTag: false, causes: [.userInitiatedAbort("shutdown during setup")])])
            close(.shutdown)
        case .established:
            state = .shutdownPending
            progressShutdown()
        default:
            break
        }
    }

    /// §9.2: once nothing is queued or outstanding, SHUTDOWN (or SHUTDOWN ACK, if the peer asked first).
    func progressShutdown() {
        guard state == .shutdownPending || state == .shutdownReceived,
              !sendQueue.hasQueuedData, outstanding.isEmpty else { return }
        t3Deadline = nil
        heartbeatDeadline = nil
        heartbeatAckDeadline = nil
        if state == .shutdownPending {
            state = .shutdownSent
            controlChunks.append(.shutdown(cumulativeTSN: tracker.cumulative))
        } else {
            state = .shutdownAckSent
            controlChunks.append(.shutdownAck)
        }
        t2Deadline = now + rto
    }

    func handleShutdown(cumulativeTSN: UInt32) {
        switch state {
        case .established, .shutdownPending, .shutdownReceived:
            // The cumulative TSN of a SHUTDOWN acknowledges like a SACK without gaps (§9.2).
            handleSack(SCTPSackChunk(cumulativeTSN: cumulativeTSN,
                                     advertisedReceiverWindow: UInt32(clamping: peerReceiveWindow + flightSize),
                                     gapBlocks: [], duplicateTSNs: []))
            if state != .shutdownAckSent { state = .shutdownReceived }
            progressShutdown()
        case .shutdownSent:
            // Both sides shut down at once: answer with SHUTDOWN ACK (§9.2).
            state = .shutdownAckSent
            controlChunks.append(.shutdownAck)
            t2Deadline = now + rto
        default:
            break
        }
    }

    func handleShutdownAck() {
        guard state == .shutdownSent || state == .shutdownAckSent else { return }
        sendPacket(tag: peerTag, [.shutdownComplete(reflectedTag: false)])
        close(.shutdown)
    }

    func handleShutdownComplete() {
        guard state == .shutdownAckSent else { return }
        close(.shutdown)
    }

    /// T2-shutdown expired: resend SHUTDOWN or SHUTDOWN ACK with backoff (§9.2).
    func t2Expired() {
        t2Deadline = nil
        guard countError(state == .shutdownSent ? "SHUTDOWN" : "SHUTDOWN ACK") else { return }
        backOffRTO()
        controlChunks.append(state == .shutdownSent ? .shutdown(cumulativeTSN: tracker.cumulative) : .shutdownAck)
        t2Deadline = now + rto
    }

    // MARK: - Heartbeat (§8.3)

    /// HEARTBEAT with a Heartbeat Info parameter holding a nonce and the send time.
    func sendHeartbeat() {
        heartbeatDeadline = nil
        guard state == .established else { return }
        let nonce = nonceSource.next()
        heartbeatNonce = nonce
        var writer = SCTPPacketWriter(capacity: 20)
        writer.write(UInt16(1))
        writer.write(UInt16(20))
        writer.write(UInt32(truncatingIfNeeded: nonce >> 32))
        writer.write(UInt32(truncatingIfNeeded: nonce))
        let sent = UInt64(bitPattern: now.nanoseconds)
        writer.write(UInt32(truncatingIfNeeded: sent >> 32))
        writer.write(UInt32(truncatingIfNeeded: sent))
        controlChunks.append(.heartbeat(info: writer.bytes))
        heartbeatAckDeadline = now + rto
    }

    func heartbeatUnanswered() {
        heartbeatAckDeadline = nil
        heartbeatNonce = nil
        guard countError("HEARTBEAT") else { return }
        backOffRTO()
        sendHeartbeat()
    }

    /// A HEARTBEAT ACK with our nonce measures the RTT and clears the error counter (§8.3).
    func handleHeartbeatAck(_ info: [UInt8]) {
        var reader = ByteReader(info, from: 4)
        guard let expected = heartbeatNonce, info.count >= 20,
              let nonce = try? reader.readUInt64(), let sent = try? reader.readUInt64(), nonce == expected else { return }
        heartbeatNonce = nil
        heartbeatAckDeadline = nil
        errorCount = 0
        measuredRoundTrip(now - Instant(nanoseconds: Int64(bitPattern: sent)))
        if state == .established { heartbeatDeadline = now + configuration.heartbeatInterval }
    }
}
