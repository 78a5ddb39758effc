import NIOCore
import NIOPosix
import TandemBase

/// The local IP addresses on which ICE gathers host candidates (RFC 8445 §5.1.1.1).
public enum NetworkInterfaces {
    /// Addresses of interfaces that are up, IPv4 and IPv6; loopback only when asked for
    /// (tests and the echo demo run on loopback). IPv6 link-local addresses are left out:
    /// they need a scope id that SDP candidates cannot carry.
    public static func usableAddresses(includeLoopback: Bool) throws -> [IPAddress] {
        var seen = Set<IPAddress>()
        var result: [IPAddress] = []
        for device in try System.enumerateDevices() {
            guard let socketAddress = device.address, let text = socketAddress.ipAddress, let ip = IPAddress(text) else { continue }
            if ip.isLoopback && !includeLoopback { continue }
            if case let .v6(bytes) = ip, bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { continue }  // fe80::/10 link-local
            if seen.insert(ip).inserted { result.append(ip) }
        }
        return result
    }
}
