import TandemBase

/// The sending side: SACK processing (§6.2.1), RTT and RTO (§6.3), retransmission on T3-rtx expiry
/// (§6.3.3) and fast retransmit (§7.2.4), congestion control (§7.2), and partial reliability with
/// FORWARD TSN (RFC 3758 §3.5).
extension SCTPAssociation {
    /// §6.2.1: process a SACK. Only the chunks it newly acknowledges are visited, plus the missing ones
    /// below the highest newly acknowledged TSN for miss indications.
    func handleSack(_ sack: SCTPSackChunk) {
        guard state.isUp else { return }
        let cumulative = sack.cumulativeTSN
        // D.i: an older cumulative TSN is a reordered SACK; a cumulative TSN beyond what we sent is bogus.
        guard tsnLessOrEqual(cumulativeAckTSN, cumulative), tsnLess(cumulative, nextTSN) else { return }
        let flightBefore = flightSize
        var cumulativeBytes = 0
        var newlyAcked = false
        var rttSample: Duration?
        /// The last sent of the chunks sent once that this SACK acknowledges (for the delivery rate).
        var rateSample: (deliveredAtSend: Int, sentAt: Instant)?
        while let first = outstanding.first, tsnLessOrEqual(first.data.tsn, cumulative) {
            outstanding.popFirst()
            if first.state != .acked && first.state != .abandoned {
                cumulativeBytes += first.size
                path.acknowledged(bytes: first.size)
                // §6.3.1 C5 (Karn): only chunks sent once and not yet given up as lost.
                if first.transmissions == 1 && first.state == .inFlight {
                    rttSample = now - first.sentAt
                    if rateSample.map({ $0.sentAt <= first.sentAt }) ?? true { rateSample = (first.deliveredAtSend, first.sentAt) }
                }
            }
            acknowledge(first)
        }
        let cumulativeAdvanced = cumulative != cumulativeAckTSN
        cumulativeAckTSN = cumulative
        if tsnLess(advancedPeerAckPoint, cumulative) { advancedPeerAckPoint = cumulative }
        newlyAcked = cumulativeBytes > 0

        // Gap ack blocks: offsets from the cumulative TSN; outstanding[offset - 1] holds TSN cum + offset.
        // Parts already covered by the previous SACK's blocks were acknowledged then and are skipped,
        // so a long recovery with many blocks costs only what each SACK adds.
        let blocks = sortedGapBlocks(sack)
        let previous = previousGapBlocks.compactMap { range -> ClosedRange<Int>? in
            let lower = max(1, Int(Int32(bitPattern: range.start &- cumulative)))
            let upper = Int(Int32(bitPattern: range.end &- cumulative))
            return lower <= upper ? lower...upper : nil
        }
        var highestNewlyAckedOffset = 0
        var previousIndex = 0
        for block in blocks {
            var offset = block.lowerBound
            while offset <= block.upperBound {
                while previousIndex < previous.count, previous[previousIndex].upperBound < offset { previousIndex += 1 }
                if previousIndex < previous.count, previous[previousIndex].lowerBound <= offset {
                    offset = previous[previousIndex].upperBound + 1
                    continue
                }
                let chunk = outstanding[offset - 1]
                if chunk.state == .inFlight || chunk.state == .needsRetransmit {
                    path.acknowledged(bytes: chunk.size)
                    if chunk.transmissions == 1 && chunk.state == .inFlight {
                        rttSample = now - chunk.sentAt
                        if rateSample.map({ $0.sentAt <= chunk.sentAt }) ?? true { rateSample = (chunk.deliveredAtSend, chunk.sentAt) }
                    }
                    acknowledge(chunk)
                    outstanding[offset - 1].state = .acked
                    highestNewlyAckedOffset = offset
                    newlyAcked = true
                }
                offset += 1
            }
        }
        previousGapBlocks = blocks.map { (cumulative &+ UInt32($0.lowerBound), cumulative &+ UInt32($0.upperBound)) }
        if let sample = rttSample {
            measuredRoundTrip(sample)
            path.measured(roundTrip: sample, at: now)
        }
        if let sample = rateSample { path.sample(deliveredAtSend: sample.deliveredAtSend, sentAt: sample.sentAt, at: now) }
        if let limit = configuration.inFlightLimit, let product = path.bandwidthDelayProduct {
            inFlightCeiling = max(limit.minimum, Int(limit.gain * Double(product)))
        }
        if newlyAcked { errorCount = 0 }

        // §7.2.4: a miss indication for each chunk still in flight below the highest newly acked TSN;
        // the third one marks it for fast retransmit. Only the holes between the blocks can hold such
        // chunks, so only they are visited.
        var marked = false
        var holeStart = 1
        for block in blocks where holeStart < highestNewlyAckedOffset {
            for offset in holeStart..<min(block.lowerBound, highestNewlyAckedOffset)
            where outstanding[offset - 1].state == .inFlight {
                outstanding[offset - 1].missIndications += 1
                // §7.2.4: a chunk is fast retransmitted only once; after that, T3-rtx covers it.
                if outstanding[offset - 1].missIndications >= 3 && !outstanding[offset - 1].fastRetransmitted {
                    markForRetransmission(at: offset - 1, fast: true)
                    marked = true
                }
            }
            holeStart = max(holeStart, block.upperBound + 1)
        }
        if marked {
            fastRetransmitBurst = true
            // §7.2.3 and §7.2.4: entering fast recovery halves the window once per loss event.
            if fastRecoveryExitPoint == nil {
                slowStartThreshold = max(congestionWindow / 2, 4 * configuration.mtu)
                congestionWindow = slowStartThreshold
                partialBytesAcked = 0
                fastRecoveryExitPoint = nextTSN &- 1
            }
        }

        // §7.2.1 and §7.2.2: grow the window on a cumulative advance, outside fast recovery.
        if cumulativeAdvanced, fastRecoveryExitPoint == nil, cumulativeBytes > 0 {
            let mtu = configuration.mtu
            if congestionWindow <= slowStartThreshold {
                if flightBefore + mtu >= congestionWindow { congestionWindow += min(cumulativeBytes, mtu) }
            } else {
                partialBytesAcked += cumulativeBytes
                if partialBytesAcked >= congestionWindow && flightBefore + mtu >= congestionWindow {
                    partialBytesAcked -= congestionWindow
                    congestionWindow += mtu
                }
            }
        }
        if let cap = configuration.maxCongestionWindow { congestionWindow = min(congestionWindow, max(cap, configuration.mtu)) }
        if let exit = fastRecoveryExitPoint, tsnLessOrEqual(exit, cumulative) { fastRecoveryExitPoint = nil }

        // §6.2.1: the peer's window less what is still in flight.
        peerReceiveWindow = max(0, Int(sack.advertisedReceiverWindow) - flightSize)

        // §6.3.2 R2 and R3: stop T3 when nothing is in flight, restart it when the cumulative TSN moves.
        // A FORWARD TSN not yet acknowledged keeps it running too: it is resent on expiry (RFC 3758 §3.5).
        if retransmitQueue.count > 0 && retransmitCount == 0 { retransmitQueue.removeAll() }
        if flightSize == 0 && retransmitCount == 0 && !tsnLess(cumulative, advancedPeerAckPoint) {
            t3Deadline = nil
        } else if cumulativeAdvanced || t3Deadline == nil {
            t3Deadline = now + rto
        }
        advancePeerAckPoint(resend: true)
        progressShutdown()
    }

    /// The SACK's valid gap blocks as offsets within the outstanding queue, ascending and disjoint.
    func sortedGapBlocks(_ sack: SCTPSackChunk) -> [ClosedRange<Int>] {
        var blocks: [ClosedRange<Int>] = []
        blocks.reserveCapacity(sack.gapBlocks.count)
        var ascending = true
        for block in sack.gapBlocks where block.start >= 1 && block.start <= block.end {
            let upper = min(Int(block.end), outstanding.count)
            guard Int(block.start) <= upper else { continue }
            if let last = blocks.last, last.upperBound >= Int(block.start) { ascending = false }
            blocks.append(Int(block.start)...upper)
        }
        guard !ascending else { return blocks }
        // Out of order or overlapping (not what RFC 9260 §3.3.4 sends, but possible): sort and merge.
        var merged: [ClosedRange<Int>] = []
        for block in blocks.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, last.upperBound + 1 >= block.lowerBound {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, block.upperBound)
            } else {
                merged.append(block)
            }
        }
        return merged
    }

    /// A chunk newly acknowledged (or dropped by the cumulative TSN): leaves the flight and the buffer.
    func acknowledge(_ chunk: SCTPSentChunk) {
        switch chunk.state {
        case .inFlight:
            flightSize -= chunk.size
            release(chunk)
        case .needsRetransmit:
            retransmitCount -= 1
            release(chunk)
        case .acked, .abandoned:
            break
        }
    }

    func release(_ chunk: SCTPSentChunk) {
        releaseBuffered(chunk.data.payload.count, stream: chunk.data.streamID)
    }

    func releaseBuffered(_ bytes: Int, stream: UInt16) {
        if sendQueue.release(bytes, stream: stream) { emit(.bufferedAmountLow(stream: stream)) }
    }

    func markForRetransmission(at index: Int, fast: Bool) {
        var chunk = outstanding[index]
        guard chunk.state == .inFlight else { return }
        flightSize -= chunk.size
        chunk.state = .needsRetransmit
        chunk.markedByFastRetransmit = fast
        outstanding[index] = chunk
        retransmitCount += 1
        retransmitQueue.append(chunk.data.tsn)
    }

    /// T3-rtx expired (§6.3.3): back off, collapse the window to one MTU, and queue everything in flight.
    func t3Expired() {
        t3Deadline = nil
        guard flightSize > 0 || retransmitCount > 0 || tsnLess(cumulativeAckTSN, advancedPeerAckPoint) else { return }
        stats.t3Expirations += 1
        guard countError("DATA") else { return }
        backOffRTO()
        slowStartThreshold = max(congestionWindow / 2, 4 * configuration.mtu)
        congestionWindow = configuration.mtu
        partialBytesAcked = 0
        fastRecoveryExitPoint = nil
        fastRetransmitBurst = false
        // Rebuild the retransmission queue in TSN order.
        retransmitQueue.removeAll()
        retransmitCount = 0
        for index in 0..<outstanding.count {
            switch outstanding[index].state {
            case .inFlight:
                markForRetransmission(at: index, fast: false)
            case .needsRetransmit:
                outstanding[index].markedByFastRetransmit = false
                retransmitQueue.append(outstanding[index].data.tsn)
                retransmitCount += 1
            case .acked, .abandoned:
                break
            }
        }
        if tsnLess(cumulativeAckTSN, advancedPeerAckPoint) { forwardTSNPending = true }
        t3Deadline = now + rto
    }

    // MARK: - Partial reliability (RFC 3758)

    /// RFC 3758 §4: a chunk about to be retransmitted whose message ran out of retransmissions or
    /// lifetime is abandoned instead, with the rest of its message.
    func shouldAbandon(_ chunk: SCTPSentChunk) -> Bool {
        guard peerSupportsForwardTSN else { return false }
        if let limit = chunk.maxRetransmits, chunk.transmissions > limit { return true }
        if let expiry = chunk.expiry, now >= expiry { return true }
        return false
    }

    /// Abandons every fragment of the message holding `outstanding[index]`, and its unsent rest.
    func abandonMessage(at index: Int) {
        let firstTSN = outstanding[index].messageFirstTSN
        let stream = outstanding[index].data.streamID
        // DATA fragments of a message are neighbours (§6.9); I-DATA ones may be spread out (RFC 8260).
        var start = index
        var end = index
        if interleaving {
            start = 0
            end = outstanding.count - 1
        } else {
            while start > 0, outstanding[start - 1].messageFirstTSN == firstTSN { start -= 1 }
            while end + 1 < outstanding.count, outstanding[end + 1].messageFirstTSN == firstTSN { end += 1 }
        }
        var fullySent = false
        for position in start...end where outstanding[position].messageFirstTSN == firstTSN {
            fullySent = fullySent || outstanding[position].data.ending
            let chunk = outstanding[position]
            switch chunk.state {
            case .inFlight:
                flightSize -= chunk.size
                release(chunk)
            case .needsRetransmit:
                retransmitCount -= 1
                release(chunk)
            case .acked, .abandoned:
                break
            }
            outstanding[position].state = .abandoned
        }
        if !fullySent {
            releaseBuffered(sendQueue.dropPartlySent(stream: stream, firstTSN: firstTSN), stream: stream)
        }
        stats.messagesAbandoned += 1
        advancePeerAckPoint(resend: false)
    }

    /// RFC 3758 §3.5 C1-C3: move the Advanced.Peer.Ack.Point over abandoned chunks; a FORWARD TSN
    /// goes out whenever it is ahead of the cumulative TSN ack.
    func advancePeerAckPoint(resend: Bool) {
        guard peerSupportsForwardTSN else { return }
        var point = tsnLess(advancedPeerAckPoint, cumulativeAckTSN) ? cumulativeAckTSN : advancedPeerAckPoint
        var index = Int(point &- cumulativeAckTSN)
        let before = point
        while index < outstanding.count, outstanding[index].state == .abandoned {
            point = outstanding[index].data.tsn
            index += 1
        }
        advancedPeerAckPoint = point
        if point != before || (resend && tsnLess(cumulativeAckTSN, point)) { forwardTSNPending = true }
    }

    /// The FORWARD TSN for the current ack point, with the last skipped SSN of each ordered stream.
    func makeForwardTSN() -> SCTPChunk {
        let count = min(Int(advancedPeerAckPoint &- cumulativeAckTSN), outstanding.count)
        if interleaving { return makeInterleavedForwardTSN(count: count) }
        var skipped: [UInt16: UInt16] = [:]
        for index in 0..<count where !outstanding[index].data.unordered {
            skipped[outstanding[index].data.streamID] = outstanding[index].data.ssn
        }
        // One packet holds the header (12), the chunk's fixed part (8) and 4 bytes per stream.
        let entries = skipped.sorted { $0.key < $1.key }.prefix((configuration.mtu - SCTPPacket.headerSize - 8) / 4)
        return .forwardTSN(SCTPForwardTSNChunk(newCumulativeTSN: advancedPeerAckPoint,
                                               skipped: entries.map { .init(streamID: $0.key, ssn: $0.value) }))
    }

    /// RFC 8260 §2.3: the I-FORWARD TSN names, per stream and kind, the last abandoned MID.
    private func makeInterleavedForwardTSN(count: Int) -> SCTPChunk {
        struct Key: Hashable {
            var stream: UInt16
            var unordered: Bool
        }
        var skipped: [Key: UInt32] = [:]
        for index in 0..<count {
            let data = outstanding[index].data
            let key = Key(stream: data.streamID, unordered: data.unordered)
            if let known = skipped[key], !midLess(known, data.messageID) { continue }
            skipped[key] = data.messageID
        }
        let entries = skipped.sorted { ($0.key.stream, $0.key.unordered ? 1 : 0) < ($1.key.stream, $1.key.unordered ? 1 : 0) }
            .prefix((configuration.mtu - SCTPPacket.headerSize - 8) / 8)
            .map { SCTPForwardTSNChunk.Skipped(streamID: $0.key.stream, unordered: $0.key.unordered, messageID: $0.value) }
        return .forwardTSN(SCTPForwardTSNChunk(newCumulativeTSN: advancedPeerAckPoint, skipped: entries, interleaved: true))
    }
}
