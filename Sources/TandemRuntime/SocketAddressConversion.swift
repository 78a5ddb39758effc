#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import TandemBase

/// Conversions between `TransportAddress` and NIO's `SocketAddress` straight through the sockaddr
/// structures: they run for every datagram, so no text formatting or parsing.
extension TransportAddress {
    /// The NIO socket address for this endpoint.
    public var socketAddress: SocketAddress {
        get throws {
            switch ip {
            case let .v4(a, b, c, d):
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: [a, b, c, d]) }
                return SocketAddress(address, host: "")
            case let .v6(bytes):
                guard bytes.count == 16 else { throw RuntimeError.invalidAddress("\(self)") }
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = port.bigEndian
                withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: bytes) }
                return SocketAddress(address, host: "")
            }
        }
    }

    /// The endpoint a NIO socket address names; nil for Unix-domain addresses.
    public init?(_ address: SocketAddress) {
        switch address {
        case let .v4(v4):
            var raw = v4.address.sin_addr
            let bytes = withUnsafeBytes(of: &raw) { Array($0) }
            self.init(ip: .v4(bytes[0], bytes[1], bytes[2], bytes[3]), port: UInt16(bigEndian: v4.address.sin_port))
        case let .v6(v6):
            var raw = v6.address.sin6_addr
            self.init(ip: .v6(withUnsafeBytes(of: &raw) { Array($0) }), port: UInt16(bigEndian: v6.address.sin6_port))
        case .unixDomainSocket:
            return nil
        }
    }
}
