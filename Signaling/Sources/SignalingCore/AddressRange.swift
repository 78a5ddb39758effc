import TandemBase

/// An IPv4 or IPv6 prefix in CIDR notation (RFC 4632 §3.1, RFC 4291 §2.3), e.g. `10.0.0.0/8` or `2001:db8::/32`.
/// A bare address is a /32 or /128.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maximum).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = maximum
        }
        network = address
    }

    /// True when `address` is of the same family and shares the first `prefixLength` bits.
    public func contains(_ address: IPAddress) -> Bool {
        let a = network.bytes
        let b = address.bytes
        guard a.count == b.count else { return false }
        var bitsLeft = prefixLength
        for index in 0..<a.count where bitsLeft > 0 {
            let take = min(8, bitsLeft)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if a[index] & mask != b[index] & mask { return false }
            bitsLeft -= take
        }
        return true
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
