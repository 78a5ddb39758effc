import MediaTransport
import RTP
import TandemBase

/// The Peer's video plane: encoded VP8 frames in, packetized (RFC 7741), paced and kept for
/// retransmission (RFC 4585 NACK, RFC 4588 RTX); received packets ordered and checked by the jitter
/// buffer, losses NACKed, broken pictures answered with PLI/FIR (RFC 5104); every packet stamped for
/// transport-wide congestion control, whose feedback (or a peer's REMB) sets the pacing rate and the
/// target the encoder follows. Encoding and decoding happen outside, in the owner.
extension Peer {
    /// Queues an encoded VP8 frame on the video section `mid`; the pacer sends it over the next few
    /// milliseconds (drain `pollOutput` and come back at `pollTimeout`).
    public func sendVideoFrame(_ frame: [UInt8], rtpTimestamp: UInt32, isKeyframe: Bool, mid: String, at now: Instant) throws(PeerError) {
        guard let index = sections.firstIndex(where: { $0.mid == mid }) else { throw .unknownMid(mid) }
        guard sections[index].kind == .video, sections[index].sends else { throw .invalidState("mid \(mid) does not send video") }
        guard connectionState == .connected, sections[index].videoSender != nil else { throw .notConnected }
        sections[index].videoSender?.send(frame: frame, rtpTimestamp: rtpTimestamp, isKeyframe: isKeyframe, at: now)
        pumpVideoSender(index, at: now)
    }

    /// Asks the remote sender of `mid` for a key frame (a viewer that starts, or a picture it cannot use).
    public func requestKeyframe(mid: String, at now: Instant) throws(PeerError) {
        guard let index = sections.firstIndex(where: { $0.mid == mid }) else { throw .unknownMid(mid) }
        guard sections[index].kind == .video else { throw .invalidState("mid \(mid) is not video") }
        sections[index].videoReceiver?.requestKeyframe()
        drainVideoReceiver(index, at: now)
    }

    /// What the decoder made of a frame from `.videoFrame`: one it could not show calls for a key frame,
    /// so a corrupted picture is replaced rather than shown (RFC 4585 §6.3.1).
    public func videoFrameDecoded(mid: String, shown: Bool, at now: Instant) {
        guard let index = sections.firstIndex(where: { $0.mid == mid }) else { return }
        sections[index].videoReceiver?.frameDecoded(shown: shown)
        drainVideoReceiver(index, at: now)
    }

    /// The bandwidth estimate for everything this Peer sends (bits per second).
    public var targetBitrate: Int { congestion.targetBitrate }

    // MARK: Start, timers and round-trip time

    /// Creates the send and receive streams once SRTP is keyed.
    func startVideo(at now: Instant) {
        startupPacingDeadline = now + configuration.startupPacingDuration
        for index in sections.indices where sections[index].kind == .video && sections[index].carriesRTP {
            if sections[index].sends, sections[index].videoSender == nil, let codec = sections[index].primaryCodec {
                let section = sections[index]
                let rtx = section.rtxPayloadType.map {
                    RetransmissionBuffer.RTXConfiguration(ssrc: section.localRTXSSRC, payloadTypes: [codec.payloadType: $0],
                                                          firstSequenceNumber: UInt16.random(in: 0...UInt16.max, using: &random))
                }
                sections[index].videoSender = VideoSendStream(configuration: .init(
                    ssrc: section.localSSRC, payloadType: codec.payloadType, maxPayloadSize: configuration.mtu - Self.rtpOverhead, rtx: rtx,
                    initialPacingRate: pacingRate, firstSequenceNumber: UInt16.random(in: 0...UInt16.max, using: &random),
                    firstPictureID: UInt16.random(in: 0...0x7FFF, using: &random)))
            }
            if sections[index].receives, let ssrc = sections[index].remoteMediaSSRC { startVideoReceiver(index, remoteSSRC: ssrc) }
        }
        if sections.contains(where: { $0.videoSender != nil }) {
            announcedTargetBitrate = congestion.targetBitrate
            emit(.targetBitrateChanged(congestion.targetBitrate))
        }
    }

    /// RTP header (12), header extensions (mid, transport-cc, abs-send-time: up to 20), the RTX original
    /// sequence number (2) and the SRTP tag (16) must fit in the MTU with the VP8 payload.
    static let rtpOverhead = 64

    var pacingRate: Int {
        let factor = startupPacingDeadline == nil ? configuration.pacingFactor : configuration.startupPacingFactor
        return Int(Double(congestion.targetBitrate) * factor)
    }

    /// The path has answered (or the start-up time is over): pace at the usual multiple from now on.
    func endStartupPacing() {
        guard startupPacingDeadline != nil else { return }
        startupPacingDeadline = nil
        for index in sections.indices { sections[index].videoSender?.setRate(pacingRate) }
    }

    func startVideoReceiver(_ index: Int, remoteSSRC: UInt32) {
        guard let codec = sections[index].primaryCodec else { return }
        var receiver = VideoReceiveStream(configuration: .init(
            localSSRC: sections[index].localSSRC, remoteSSRC: remoteSSRC, payloadType: codec.payloadType,
            rtxPayloadType: sections[index].rtxPayloadType,
            keyframeMethod: codec.feedback.contains { $0.type == "nack" && $0.parameter == "pli" } ? .pictureLossIndication : .fullIntraRequest))
        if let roundTripTime { receiver.updateRoundTripTime(roundTripTime) }
        sections[index].videoReceiver = receiver
    }

    func updateRoundTripTime(_ rtt: Duration) {
        roundTripTime = rtt
        congestion.updateRoundTripTime(rtt)
        for index in sections.indices {
            sections[index].videoSender?.updateRoundTripTime(rtt)
            sections[index].videoReceiver?.updateRoundTripTime(rtt)
        }
    }

    /// The earliest deadline of the video plane: pacer, key-frame limits, jitter buffer, NACK retries,
    /// transport feedback.
    var videoTimeout: Instant? {
        var earliest = transportFeedback?.pollTimeout().earliest(startupPacingDeadline)
        for section in sections {
            earliest = earliest.earliest(section.videoSender?.pollTimeout()).earliest(section.videoReceiver?.pollTimeout())
        }
        return earliest
    }

    func handleVideoTimeout(at now: Instant) {
        if let deadline = startupPacingDeadline, deadline <= now { endStartupPacing() }
        for index in sections.indices {
            if let deadline = sections[index].videoReceiver?.pollTimeout(), deadline <= now {
                sections[index].videoReceiver?.handleTimeout(at: now)
            }
            drainVideoReceiver(index, at: now)
            pumpVideoSender(index, at: now)
        }
        sendTransportFeedback(at: now)
    }

    // MARK: Sending

    /// Puts what the pacer allows now on the wire, and turns a pending key frame request into an event.
    func pumpVideoSender(_ index: Int, at now: Instant) {
        guard sections[index].videoSender != nil else { return }
        while let packet = sections[index].videoSender?.pollTransmit(at: now) {
            do { try transmitRTP(packet, section: index, at: now) } catch { counters.datagramsDropped += 1 }
        }
        if sections[index].videoSender?.pollKeyframeRequest(at: now) == true { emit(.keyframeRequested(mid: sections[index].mid)) }
    }

    /// Feedback from the remote receiver: transport feedback and REMB go to the estimator, NACK, PLI
    /// and FIR to the send stream they name (a FIR names it in its FCI, RFC 5104 §4.3.1.2).
    func handleFeedback(_ feedback: RTCPFeedback, at now: Instant) {
        if (try? congestion.handle(feedback, at: now)) == true {
            endStartupPacing()
            followTargetBitrate()
            return
        }
        let target = feedback.fullIntraRequestEntries?.first?.ssrc ?? feedback.mediaSSRC
        guard let index = sections.firstIndex(where: { $0.localSSRC == target && $0.videoSender != nil }) else { return }
        sections[index].videoSender?.handle(feedback, at: now)
        pumpVideoSender(index, at: now)
    }

    /// Sets the pacers from the estimate and tells the owner when it moved by 5 % or more.
    func followTargetBitrate() {
        let target = congestion.targetBitrate
        for index in sections.indices { sections[index].videoSender?.setRate(pacingRate) }
        if let announced = announcedTargetBitrate, abs(target - announced) * 20 < announced { return }
        announcedTargetBitrate = target
        emit(.targetBitrateChanged(target))
    }

    // MARK: Receiving

    func receiveVideo(_ packet: RTPPacket, section index: Int, isRetransmission: Bool, at now: Instant) {
        guard sections[index].receives else { counters.datagramsDropped += 1; return }
        if !isRetransmission, sections[index].videoReceiver?.configuration.remoteSSRC != packet.ssrc {
            // A first packet, or a sender that started a new stream: a new receive stream.
            startVideoReceiver(index, remoteSSRC: packet.ssrc)
        }
        guard sections[index].videoReceiver != nil else { counters.datagramsDropped += 1; return }
        sections[index].videoReceiver?.handle(packet, at: now)
        drainVideoReceiver(index, at: now)
    }

    func drainVideoReceiver(_ index: Int, at now: Instant) {
        while let output = sections[index].videoReceiver?.poll(at: now) {
            switch output {
            case let .frame(frame): emit(.videoFrame(mid: sections[index].mid, frame))
            case let .feedback(feedback): sendRTCPFeedback(feedback)
            }
        }
    }

    /// Arrival of a packet stamped with a transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3).
    func noteTransportSequenceNumber(_ number: UInt16, ssrc: UInt32, at now: Instant) {
        if transportFeedback == nil, let sender = sections.first(where: \.carriesRTP)?.localSSRC {
            transportFeedback = TransportFeedbackGenerator(senderSSRC: sender, mediaSSRC: ssrc)
        }
        transportFeedback?.received(number, at: now)
    }

    func sendTransportFeedback(at now: Instant) {
        guard srtp != nil, let messages = transportFeedback?.poll(at: now) else { return }
        for message in messages { sendRTCPFeedback(message) }
    }
}
