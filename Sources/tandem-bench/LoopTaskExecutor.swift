import NIOCore

/// Runs Swift tasks on one NIO event loop, so that a benchmark's awaits on that loop's futures and the
/// loop's own work share one thread (no hand-off between the concurrency pool and NIO threads).
@available(macOS 15.0, *)
final class LoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
