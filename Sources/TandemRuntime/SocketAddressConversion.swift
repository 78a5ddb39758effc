import NIOCore
import TandemBase

extension TransportAddress {
    /// The NIO socket address for this endpoint.
    public var socketAddress: SocketAddress {
        get throws { try SocketAddress(ipAddress: ip.description, port: Int(port)) }
    }

    /// The endpoint a NIO socket address names; nil for Unix-domain addresses.
    public init?(_ address: SocketAddress) {
        guard let text = address.ipAddress, let port = address.port, let ip = IPAddress(text), let p = UInt16(exactly: port) else {
            return nil
        }
        self.init(ip: ip, port: p)
    }
}
