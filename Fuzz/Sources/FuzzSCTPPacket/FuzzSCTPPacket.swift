import SCTP
import TandemBase

/// SCTP packets arrive from the DTLS peer: after the handshake they are authenticated only as far as
/// the peer is trusted, so a hostile peer may send anything. Each input is fed, as one or more
/// packets (2-byte length prefixes where they fit), to an established association that has data in
/// flight. The ports, verification tag and CRC32c are fixed up so that the chunk parsers and the state
/// machine, not the checksum, get exercised. Nothing may trap, and every packet it sends back must
/// fit the MTU and start with a valid common header. An odd first byte selects an association that
/// negotiated I-DATA (RFC 8260), so both reassembly paths get fuzzed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var now = Instant.zero
    let (association, tag) = establishedAssociation(&now, interleaving: (bytes.first ?? 0) & 1 == 1)
    var offset = 0
    while offset < bytes.count {
        var length = bytes.count - offset
        if length > 2 {
            let prefixed = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            if prefixed > 0, prefixed <= length - 2 { length = prefixed; offset += 2 }
        }
        association.handlePacket(fixedUp(Array(bytes[offset..<offset + length]), tag: tag), at: now)
        offset += length
        now += .milliseconds(5)
        drain(association)
    }
    for _ in 0..<3 {
        now = max(now, association.pollTimeout() ?? now)
        association.handleTimeout(at: now)
        drain(association)
    }
    _ = association.statistics
    return 0
}

/// B of an A-B pair on a loss-free path, with unacknowledged DATA on two streams.
private func establishedAssociation(_ now: inout Instant, interleaving: Bool) -> (SCTPAssociation, UInt32) {
    var configuration = SCTPConfiguration()
    configuration.enableMessageInterleaving = interleaving
    let a = SCTPAssociation(configuration: configuration, random: SeededGenerator(seed: 1))
    let b = SCTPAssociation(configuration: configuration, random: SeededGenerator(seed: 2))
    a.connect(at: now)
    var tagOfB: UInt32 = 0
    for _ in 0..<4 {
        while let packet = a.pollTransmit() {
            if packet.count >= 8 { tagOfB = UInt32(packet[4]) << 24 | UInt32(packet[5]) << 16 | UInt32(packet[6]) << 8 | UInt32(packet[7]) }
            b.handlePacket(packet, at: now)
        }
        while let packet = b.pollTransmit() { a.handlePacket(packet, at: now) }
    }
    guard b.state == .established else { fatalError("the fuzz harness could not establish an association") }
    try? b.send([UInt8](repeating: 1, count: 3000), stream: 0, ppid: 53, ordered: true, reliability: .reliable, at: now)
    try? b.send([2], stream: 1, ppid: 51, ordered: false, reliability: .maxRetransmits(0), at: now)
    while b.pollTransmit() != nil {}
    while b.pollEvent() != nil {}
    return (b, tagOfB)
}

/// Puts the ports, B's verification tag (unless the packet starts with an INIT) and a correct CRC32c in place.
private func fixedUp(_ packet: [UInt8], tag: UInt32) -> [UInt8] {
    guard packet.count >= 12 else { return packet }
    var out = packet
    out.replaceSubrange(0..<4, with: [0x13, 0x88, 0x13, 0x88])
    if out.count < 13 || out[12] != 1 {
        for k in 0..<4 { out[4 + k] = UInt8(truncatingIfNeeded: tag >> (24 - 8 * UInt32(k))) }
    }
    out.replaceSubrange(8..<12, with: [0, 0, 0, 0])
    let crc = CRC32c.checksum(out)
    for k in 0..<4 { out[8 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
    return out
}

private func drain(_ association: SCTPAssociation) {
    while let packet = association.pollTransmit() {
        guard packet.count <= SCTPConfiguration().mtu, packet.count >= 16 else {
            fatalError("an SCTP packet of \(packet.count) bytes is outside 16...MTU")
        }
    }
    while association.pollEvent() != nil {}
}
