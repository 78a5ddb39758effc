import CMediaShims
import COpus

/// A libopus call that failed, with libopus's error code and text.
public struct OpusError: Error, Equatable, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public var description: String { "\(operation) failed: \(String(cString: opus_strerror(code)))" }

    static func check(_ code: Int32, _ operation: String) throws(OpusError) {
        guard code >= 0 else { throw OpusError(operation: operation, code: code) }
    }
}

/// The voice settings used here (design notes §3): 48 kHz, 20 ms frames.
public enum OpusFormat {
    public static let sampleRate = 48_000
    /// Samples per channel in one 20 ms frame.
    public static let frameSize = 960
    /// Largest packet libopus is asked to write (RFC 6716 §3.4 bounds a 20 ms frame well below).
    static let maxPacketSize = 1500
}

/// A voice encoder over libopus: 48 kHz, 20 ms frames of interleaved 16-bit samples, in-band
/// FEC (RFC 6716 §2.1.7) and DTX. Owned by one caller (not Sendable).
public final class OpusEncoder {
    public let channels: Int
    private let encoder: OpaquePointer

    /// - Parameters:
    ///   - bitrate: bits per second.
    ///   - expectedLossPercent: how much loss the in-band FEC should be sized for (0 turns FEC off in libopus).
    public init(channels: Int = 1, bitrate: Int = 32_000, inbandFEC: Bool = true, expectedLossPercent: Int = 10,
                dtx: Bool = true) throws(OpusError) {
        self.channels = channels
        var status: Int32 = 0
        guard let encoder = opus_encoder_create(Int32(OpusFormat.sampleRate), Int32(channels), OPUS_APPLICATION_VOIP, &status),
              status == OPUS_OK else {
            throw OpusError(operation: "opus_encoder_create", code: status == OPUS_OK ? OPUS_ALLOC_FAIL : status)
        }
        self.encoder = encoder
        do {
            try OpusError.check(tandem_media_opus_encoder_set(encoder, OPUS_SET_BITRATE_REQUEST, Int32(bitrate)), "OPUS_SET_BITRATE")
            try OpusError.check(tandem_media_opus_encoder_set(encoder, OPUS_SET_INBAND_FEC_REQUEST, inbandFEC ? 1 : 0),
                                "OPUS_SET_INBAND_FEC")
            try OpusError.check(tandem_media_opus_encoder_set(encoder, OPUS_SET_PACKET_LOSS_PERC_REQUEST,
                                                              Int32(expectedLossPercent)), "OPUS_SET_PACKET_LOSS_PERC")
            try OpusError.check(tandem_media_opus_encoder_set(encoder, OPUS_SET_DTX_REQUEST, dtx ? 1 : 0), "OPUS_SET_DTX")
        } catch {
            opus_encoder_destroy(encoder)
            throw error
        }
    }

    deinit { opus_encoder_destroy(encoder) }

    /// Changes the bitrate (bits per second).
    public func setBitrate(_ bitsPerSecond: Int) throws(OpusError) {
        try OpusError.check(tandem_media_opus_encoder_set(encoder, OPUS_SET_BITRATE_REQUEST, Int32(bitsPerSecond)),
                            "OPUS_SET_BITRATE")
    }

    /// Encodes one 20 ms frame (`OpusFormat.frameSize × channels` interleaved samples).
    /// During silence with DTX on, libopus returns packets of one or two bytes that need not be
    /// sent (see `isDiscontinuousTransmission`).
    public func encode(_ samples: [Int16]) throws(OpusError) -> [UInt8] {
        guard samples.count == OpusFormat.frameSize * channels else {
            throw OpusError(operation: "opus_encode of \(samples.count) samples", code: OPUS_BAD_ARG)
        }
        var packet = [UInt8](repeating: 0, count: OpusFormat.maxPacketSize)
        let length = samples.withUnsafeBufferPointer { pcm in
            packet.withUnsafeMutableBufferPointer { output in
                guard let input = pcm.baseAddress, let output = output.baseAddress else { return OPUS_BAD_ARG }
                return opus_encode(encoder, input, Int32(OpusFormat.frameSize), output, Int32(OpusFormat.maxPacketSize))
            }
        }
        try OpusError.check(length, "opus_encode")
        return Array(packet.prefix(Int(length)))
    }

    /// Whether a packet only says "nothing changed" during DTX (a TOC byte and at most one more).
    public static func isDiscontinuousTransmission(_ packet: [UInt8]) -> Bool { packet.count <= 2 }
}

/// A voice decoder over libopus, 48 kHz, with loss concealment: a lost frame is rebuilt from the
/// next packet's in-band FEC when it has one, else by packet loss concealment (PLC).
public final class OpusDecoder {
    public let channels: Int
    private let decoder: OpaquePointer

    public init(channels: Int = 1) throws(OpusError) {
        self.channels = channels
        var status: Int32 = 0
        guard let decoder = opus_decoder_create(Int32(OpusFormat.sampleRate), Int32(channels), &status), status == OPUS_OK else {
            throw OpusError(operation: "opus_decoder_create", code: status == OPUS_OK ? OPUS_ALLOC_FAIL : status)
        }
        self.decoder = decoder
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes one packet into interleaved samples.
    public func decode(_ packet: [UInt8]) throws(OpusError) -> [Int16] {
        try run(packet, fec: false, operation: "opus_decode")
    }

    /// Samples standing in for one lost 20 ms frame: the FEC copy carried by `nextPacket` (the
    /// packet after the lost one) if given, otherwise PLC. Call before decoding `nextPacket` itself.
    public func concealLoss(nextPacket: [UInt8]?) throws(OpusError) -> [Int16] {
        try run(nextPacket, fec: nextPacket != nil, operation: nextPacket == nil ? "opus_decode (PLC)" : "opus_decode (FEC)")
    }

    private func run(_ packet: [UInt8]?, fec: Bool, operation: String) throws(OpusError) -> [Int16] {
        var samples = [Int16](repeating: 0, count: OpusFormat.frameSize * channels)
        let decoded = samples.withUnsafeMutableBufferPointer { pcm in
            guard let output = pcm.baseAddress else { return OPUS_BAD_ARG }
            if let packet {
                return packet.withUnsafeBufferPointer { input in
                    opus_decode(decoder, input.baseAddress, Int32(input.count), output, Int32(OpusFormat.frameSize), fec ? 1 : 0)
                }
            } else {
                return opus_decode(decoder, nil, 0, output, Int32(OpusFormat.frameSize), 0)
            }
        }
        try OpusError.check(decoded, operation)
        return Array(samples.prefix(Int(decoded) * channels))
    }
}
