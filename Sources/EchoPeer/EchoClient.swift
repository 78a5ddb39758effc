import Foundation
import HTTPLite
import NIOCore
import NIOPosix
import PeerConnection
import RTP
import SDP
import TandemBase
import TandemRuntime

/// The echo-test client: offers, sends VP8 video from an IVF file, and checks that it comes back.
public enum EchoClient {
    public struct Options: Sendable {
        public var url = "http://127.0.0.1:8080/offer"
        public var seconds: Double = 3
        /// VP8 frames to send, looped for `seconds` at the file's frame rate.
        public var ivf: [UInt8]
        public var connection = PeerConnection.Options()
        /// Send video (the RTP echo); off for a data-channel-only session.
        public var video = true
        /// Data channels of the echo protocol to open and check (0: none, at most 3), and messages per channel.
        public var dataChannels = 0
        public var dataChannelMessages = 20
        public init(ivf: [UInt8]) { self.ivf = ivf }
    }

    /// What one echo run measured.
    public struct Report: Codable, Sendable {
        public var setupMilliseconds: Double
        public var framesSent: Int
        public var packetsSent: Int
        public var bytesSent: Int
        public var packetsEchoed: Int
        public var bytesEchoed: Int
        /// Echoed packets whose payload matched the packet sent with the same sequence number
        /// (a forwarding echo such as `tandem echo`; a re-encoding echo such as aiortc's returns other bytes).
        public var packetsVerified: Int
        /// Complete VP8 frames reassembled from the echoed packets (RFC 7741), and how many were key frames.
        public var framesEchoed: Int
        public var keyFramesEchoed: Int
        public var dtlsRole: String?
        public var srtpProfile: String?
        public var roundTripMilliseconds: Double?
        public var selectedPair: String?
        /// Data-channel messages sent, echoed, and whether every echo matched byte for byte and in order.
        public var dataChannelSent: Int?
        public var dataChannelEchoed: Int?
        public var dataChannelIntact: Bool?
        /// The server-opened channel of the echo protocol: messages received, all as expected, closed by the server.
        public var serverChannelMessages: Int?
        public var serverChannelIntact: Bool?
        public var serverChannelClosed: Bool?
        /// Closing our first channel completed (the peer reset its stream too, RFC 8831 §6.7).
        public var clientCloseCompleted: Bool?
        public var succeeded: Bool

        enum CodingKeys: String, CodingKey {
            case setupMilliseconds = "setup_ms", framesSent = "frames_sent", packetsSent = "packets_sent"
            case bytesSent = "bytes_sent", packetsEchoed = "packets_echoed", bytesEchoed = "bytes_echoed"
            case packetsVerified = "packets_verified", roundTripMilliseconds = "rtt_ms", selectedPair = "selected_pair"
            case framesEchoed = "frames_echoed", keyFramesEchoed = "key_frames_echoed", dtlsRole = "dtls_role", srtpProfile = "srtp_profile"
            case dataChannelSent = "datachannel_sent", dataChannelEchoed = "datachannel_echoed", dataChannelIntact = "datachannel_intact"
            case serverChannelMessages = "server_channel_messages", serverChannelIntact = "server_channel_intact"
            case serverChannelClosed = "server_channel_closed", clientCloseCompleted = "client_close_completed"
            case succeeded = "ok"
        }
    }

    public static func run(_ options: Options, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Report {
        var reader = try IVFReader(options.ivf)
        let frames = try reader.readAllFrames()
        guard !frames.isEmpty else { throw WireError.invalid("the IVF file holds no frame") }
        let header = reader.header
        let frameInterval = Duration.seconds(Double(header.timebaseNumerator) / Double(max(1, header.timebaseDenominator)))
            * Int(frames.count > 1 ? max(1, Int(frames[1].timestamp - frames[0].timestamp)) : 1)

        let start = ContinuousClock.now
        let connection = try await PeerConnection.create(options: options.connection, group: group)
        defer { Task { await connection.close() } }
        let mid = options.video ? try await connection.addTransceiver(.video, direction: .sendrecv) : ""
        let probe = options.dataChannels > 0
            ? try await DataChannelProbe.open(on: connection, channels: options.dataChannels, messagesPerChannel: options.dataChannelMessages)
            : nil
        let offer = try await connection.createOffer()
        try await connection.setLocalDescription(offer)
        try await connection.gatheringComplete()
        guard let complete = try await connection.localDescription() else { throw PeerError.invalidState("no local offer") }

        let response = try await HTTPClient.post(url: options.url, contentType: "application/json",
                                                 body: Array(try JSONEncoder().encode(complete)), group: group)
        guard response.status == .ok else {
            throw EchoClientError.serverRefused(status: Int(response.status.code), body: String(decoding: response.body, as: UTF8.self))
        }
        let answer = try JSONDecoder().decode(SessionDescriptionMessage.self, from: Data(response.body))
        try await connection.setRemoteDescription(answer)
        try await connection.connected()
        let setup = ContinuousClock.now - start

        // Count what comes back while sending; a packet verifies when its payload equals what was sent
        // with the same sequence number (the echo keeps sequence numbers, the Peer rewrites the SSRC).
        let sent = SentPayloads()
        let receiver = Task {
            var echoed = (packets: 0, bytes: 0, verified: 0, frames: 0, keyFrames: 0)
            var assembler = VP8FrameAssembler()
            for await incoming in connection.incomingRTP where incoming.mid == mid {
                echoed.packets += 1
                echoed.bytes += incoming.packet.payload.count
                if await sent.matches(incoming.packet) { echoed.verified += 1 }
                if let frame = try? assembler.push(incoming.packet) {
                    echoed.frames += 1
                    if VP8FrameAssembler.isKeyFrame(frame) { echoed.keyFrames += 1 }
                }
            }
            return echoed
        }

        let dataChannelRun = Task { try await probe?.run(timeout: .seconds(max(10, options.seconds * 2))) }
        var packetsSent = 0, bytesSent = 0, frameCount = 0
        if options.video {
            (frameCount, packetsSent, bytesSent) = try await sendVideo(frames, interval: frameInterval, seconds: options.seconds,
                                                                       on: connection, mid: mid, sent: sent)
        }
        let dataChannels = try await dataChannelRun.value
        try await Task.sleep(for: .milliseconds(300))  // let the last echoes arrive
        let stats = try await connection.stats()
        await connection.close()
        let echoed = await receiver.value

        // The video echo works when whole frames come back, starting from a key frame a decoder can use.
        let videoWorked = !options.video || (echoed.keyFrames > 0 && echoed.frames >= max(1, frameCount / 3))
        let dataWorked = dataChannels.map { $0.intact && $0.echoed == $0.sent && $0.clientCloseCompleted } ?? true
        return Report(
            setupMilliseconds: setup.milliseconds, framesSent: frameCount, packetsSent: packetsSent, bytesSent: bytesSent,
            packetsEchoed: echoed.packets, bytesEchoed: echoed.bytes, packetsVerified: echoed.verified,
            framesEchoed: echoed.frames, keyFramesEchoed: echoed.keyFrames,
            dtlsRole: stats.dtlsRole, srtpProfile: stats.srtpProfile,
            roundTripMilliseconds: stats.roundTripTime?.milliseconds, selectedPair: stats.selectedPair?.description,
            dataChannelSent: dataChannels?.sent, dataChannelEchoed: dataChannels?.echoed, dataChannelIntact: dataChannels?.intact,
            serverChannelMessages: dataChannels?.serverChannelMessages, serverChannelIntact: dataChannels?.serverChannelIntact,
            serverChannelClosed: dataChannels?.serverChannelClosed, clientCloseCompleted: dataChannels?.clientCloseCompleted,
            succeeded: videoWorked && dataWorked
        )
    }

    /// Sends the IVF frames, looped, at their frame rate for `seconds`; returns frames, packets and bytes sent.
    private static func sendVideo(_ frames: [IVFReader.Frame], interval frameInterval: Duration, seconds: Double,
                                  on connection: PeerConnection, mid: String, sent: SentPayloads) async throws -> (Int, Int, Int) {
        let payloadType = try await connection.payloadType(for: "VP8", mid: mid)
        var packetizer = VP8Packetizer(ssrc: 0, payloadType: payloadType, firstSequenceNumber: UInt16.random(in: 0...UInt16.max),
                                       firstPictureID: UInt16.random(in: 0...0x7fff), maxPayloadSize: 1100)
        let frameCount = max(1, Int(seconds / Double(frameInterval.milliseconds / 1000)))
        var packetsSent = 0, bytesSent = 0
        let clock = ContinuousClock()
        let sendStart = clock.now
        for index in 0..<frameCount {
            let frame = frames[index % frames.count]
            let rtpTimestamp = UInt32(truncatingIfNeeded: index * 90_000 * Int(frameInterval.milliseconds) / 1000)
            for packet in packetizer.packetize(frame: frame.data, rtpTimestamp: rtpTimestamp) {
                await sent.record(packet)
                connection.send(packet, mid: mid)
                packetsSent += 1
                bytesSent += packet.payload.count
            }
            try await clock.sleep(until: sendStart + frameInterval * (index + 1))
        }
        return (frameCount, packetsSent, bytesSent)
    }
}

public enum EchoClientError: Error, CustomStringConvertible {
    case serverRefused(status: Int, body: String)

    public var description: String {
        switch self {
        case let .serverRefused(status, body): "the echo server answered \(status): \(body)"
        }
    }
}

/// Payloads sent, by sequence number, to check what the echo brings back.
private actor SentPayloads {
    private var payloads: [UInt16: [UInt8]] = [:]

    func record(_ packet: RTPPacket) { payloads[packet.sequenceNumber] = packet.payload }

    func matches(_ packet: RTPPacket) -> Bool { payloads[packet.sequenceNumber] == packet.payload }
}
