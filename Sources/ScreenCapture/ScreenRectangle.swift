/// A rectangle in pixels, in the coordinates of an X screen's root window (origin top left).
public struct ScreenRectangle: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)+\(x)+\(y)" }

    /// Whether this rectangle is non-empty and lies wholly inside `other`.
    public func isInside(_ other: ScreenRectangle) -> Bool {
        width > 0 && height > 0 && x >= other.x && y >= other.y
            && x + width <= other.x + other.width && y + height <= other.y + other.height
    }
}

/// A point in pixels.
public struct ScreenPoint: Equatable, Hashable, Sendable {
    public var x: Int
    public var y: Int

    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}
