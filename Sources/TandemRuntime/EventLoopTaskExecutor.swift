import NIOCore

/// Runs Swift tasks on one NIO event loop. A caller that drives its `PeerConnection`s from a task with
/// this executor preference (`withTaskExecutorPreference`) runs on their loop, so each call runs directly
/// instead of handing work to the loop's thread and back.
@available(macOS 15.0, *)
public final class EventLoopTaskExecutor: TaskExecutor {
    public let loop: any EventLoop

    public init(_ loop: any EventLoop) { self.loop = loop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
