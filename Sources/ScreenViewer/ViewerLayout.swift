/// Where a source picture goes in a window: scaled to fit while keeping its aspect ratio,
/// centred, with black bars on the two other sides.
public struct ViewerLayout: Equatable, Sendable {
    public let sourceWidth: Int
    public let sourceHeight: Int
    public let windowWidth: Int
    public let windowHeight: Int
    /// The picture's rectangle in window pixels.
    public let pictureX: Int
    public let pictureY: Int
    public let pictureWidth: Int
    public let pictureHeight: Int

    public init(sourceWidth: Int, sourceHeight: Int, windowWidth: Int, windowHeight: Int) {
        precondition(sourceWidth > 0 && sourceHeight > 0 && windowWidth > 0 && windowHeight > 0, "sizes must be positive")
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.windowWidth = windowWidth
        self.windowHeight = windowHeight
        // Width-limited when windowWidth / sourceWidth <= windowHeight / sourceHeight.
        if windowWidth * sourceHeight <= windowHeight * sourceWidth {
            pictureWidth = windowWidth
            pictureHeight = max(1, min(windowHeight, (sourceHeight * windowWidth + sourceWidth / 2) / sourceWidth))
        } else {
            pictureHeight = windowHeight
            pictureWidth = max(1, min(windowWidth, (sourceWidth * windowHeight + sourceHeight / 2) / sourceHeight))
        }
        pictureX = (windowWidth - pictureWidth) / 2
        pictureY = (windowHeight - pictureHeight) / 2
    }

    /// The source pixel under window pixel (x, y), clamped to the picture.
    public func sourcePoint(windowX x: Int, windowY y: Int) -> (x: Int, y: Int) {
        (Self.map(x - pictureX, picture: pictureWidth, source: sourceWidth),
         Self.map(y - pictureY, picture: pictureHeight, source: sourceHeight))
    }

    private static func map(_ offset: Int, picture: Int, source: Int) -> Int {
        min(source - 1, max(0, offset) * source / picture)
    }
}
