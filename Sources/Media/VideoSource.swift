/// Where pictures to send come from: a screen (X11 capture) or the synthetic desktop of tests.
/// One owner calls `capture` at its frame rate.
public protocol VideoSource {
    var width: Int { get }
    var height: Int { get }
    /// The picture on screen now.
    mutating func capture() throws -> BGRAFrame
}

/// `SyntheticScreen` as a source: each capture shows the next frame of its animation.
public struct SyntheticVideoSource: VideoSource, Sendable {
    public let screen: SyntheticScreen
    public private(set) var frameIndex = 0

    public init(_ screen: SyntheticScreen) { self.screen = screen }

    public var width: Int { screen.width }
    public var height: Int { screen.height }

    public mutating func capture() -> BGRAFrame {
        defer { frameIndex += 1 }
        return screen.frame(frameIndex)
    }
}
