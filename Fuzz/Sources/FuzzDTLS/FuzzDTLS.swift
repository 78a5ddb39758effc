import DTLS
import TandemBase

/// Datagrams reach a DTLS server before anything is authenticated: OpenSSL parses the records,
/// our BIO cuts outgoing records into datagrams. Nothing may trap or exceed the MTU.
private let certificate = try! DTLSCertificate()
private let fingerprint = try! DTLSCertificate().fingerprint

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let server = try? DTLSEndpoint(role: .server, certificate: certificate, remoteFingerprint: fingerprint) else {
        fatalError("a DTLS endpoint could not be created")
    }
    // The input may hold several datagrams: split on a 2-byte length prefix when it fits.
    var offset = 0
    var now = Instant.zero
    while offset < bytes.count {
        var length = bytes.count - offset
        if length > 2 {
            let prefixed = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            if prefixed > 0, prefixed <= length - 2 { length = prefixed; offset += 2 }
        }
        server.handleDatagram(Array(bytes[offset..<offset + length]), at: now)
        offset += length
        now += .milliseconds(10)
        while let datagram = server.pollTransmit() {
            guard datagram.count <= server.mtu else { fatalError("a DTLS datagram of \(datagram.count) bytes exceeds the MTU") }
        }
        while server.pollEvent() != nil {}
    }
    server.handleTimeout(at: now + .seconds(2))
    while server.pollTransmit() != nil {}
    return 0
}
