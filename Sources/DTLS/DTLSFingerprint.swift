import TandemBase

/// A certificate fingerprint as carried in SDP `a=fingerprint` (RFC 8122 §5): a hash function name and the
/// digest of the DER-encoded certificate.
public struct DTLSFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// The hash function's textual name as in RFC 8122 §5 (`sha-1`, `sha-256`, `sha-384`, `sha-512`), lower case.
    public var algorithm: String
    public var bytes: [UInt8]

    public init(algorithm: String, bytes: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.bytes = bytes
    }

    /// The hash functions Tandem can verify, with their digest lengths in bytes.
    static let digestLengths: [String: Int] = ["sha-1": 20, "sha-256": 32, "sha-384": 48, "sha-512": 64]

    /// Parses `sha-256 AB:CD:…` (RFC 8122 §5: hash-func SP fingerprint, upper-case hex pairs separated by
    /// colons; hex case is accepted either way, as browsers and aiortc differ).
    public init(parsing text: String) throws(DTLSError) {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2 else {
            throw .invalidFingerprint("expected \"<hash-func> <hex:hex:…>\", got \"\(text)\"")
        }
        let algorithm = parts[0].lowercased()
        guard let length = Self.digestLengths[algorithm] else {
            throw .invalidFingerprint("unsupported hash function \"\(parts[0])\"")
        }
        let pairs = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard pairs.count == length, pairs.allSatisfy({ $0.count == 2 }),
              let bytes = Hex.decode(String(parts[1])), bytes.count == length
        else {
            throw .invalidFingerprint("\(algorithm) needs \(length) colon-separated hex pairs, got \"\(parts[1])\"")
        }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// The SDP text form, e.g. `sha-256 AB:CD:…` (RFC 8122 §5).
    public var sdpValue: String { algorithm + " " + Hex.encode(bytes, separator: ":", uppercase: true) }

    public var description: String { sdpValue }
}
