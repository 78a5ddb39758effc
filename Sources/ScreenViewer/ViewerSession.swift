import Foundation
import Media
import Synchronization

/// A viewer window on a thread of its own, for owners that live in Swift concurrency (a receiver
/// decoding on the decoding thread, an app's tasks): `show` hands over the newest picture from any
/// thread (older ones not yet drawn are skipped), the window's events arrive on `events`, and `close`
/// ends the thread. Xlib is used on that thread only.
public final class ViewerSession: Sendable {
    /// What the helper did in the window; finishes when the window closes or `close` is called.
    public let events: AsyncStream<ViewerEvent>
    private let shared = Mutex(Shared())
    private let eventSink: AsyncStream<ViewerEvent>.Continuation

    struct Shared {
        var pending: I420Frame?
        var stop = false
        var windowID: UInt?
    }

    /// Opens the window (nil display: `$DISPLAY`); throws the window's error if it cannot open.
    public static func open(displayName: String? = nil, title: String = "Tandem", width: Int, height: Int) async throws -> ViewerSession {
        let session = ViewerSession()
        try await withCheckedThrowingContinuation { (opened: CheckedContinuation<Void, any Error>) in
            let thread = Thread { session.run(displayName: displayName, title: title, width: width, height: height, opened: opened) }
            thread.name = "tandem-viewer"
            thread.start()
        }
        return session
    }

    private init() {
        (events, eventSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
    }

    /// The X window, for tests and window managers.
    public var windowID: UInt? { shared.withLock { $0.windowID } }

    /// Shows `picture` next (the newest one given wins).
    public func show(_ picture: I420Frame) {
        shared.withLock { $0.pending = picture }
    }

    public func close() {
        shared.withLock { $0.stop = true }
    }

    private func run(displayName: String?, title: String, width: Int, height: Int, opened: CheckedContinuation<Void, any Error>) {
        let window: ViewerWindow
        do {
            window = try ViewerWindow(displayName: displayName, title: title, width: width, height: height)
        } catch {
            eventSink.finish()
            opened.resume(throwing: error)
            return
        }
        shared.withLock { $0.windowID = window.windowID }
        opened.resume()
        defer { eventSink.finish() }
        while true {
            let (picture, stop) = shared.withLock { state -> (I420Frame?, Bool) in
                defer { state.pending = nil }
                return (state.pending, state.stop)
            }
            if stop || window.isClosed { return }
            do {
                if let picture { try window.show(picture) }
                // 10 ms: pictures at up to 100 per second, input as it comes.
                for event in try window.pollEvents(waitingUpTo: .milliseconds(10)) { eventSink.yield(event) }
            } catch {
                return
            }
        }
    }
}
