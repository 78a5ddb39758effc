import NIOPosix
import TandemRuntime

/// Threads for media work, apart from the network thread (design notes §2): a 10 ms encode never
/// delays a STUN reply or an SCTP SACK, and decoding never waits behind encoding. Senders and
/// receivers run their loops with these as task executor preference.
@available(macOS 15.0, *)
public enum MediaThreads {
    public static let encoding = EventLoopTaskExecutor(MultiThreadedEventLoopGroup(numberOfThreads: 1).next())
    public static let decoding = EventLoopTaskExecutor(MultiThreadedEventLoopGroup(numberOfThreads: 1).next())
}
