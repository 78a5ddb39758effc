/// Why a screen could not be opened or captured; `description` is a sentence for the user.
public enum ScreenCaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No display name was given and `$DISPLAY` is not set.
    case noDisplayGiven
    /// XOpenDisplay failed for this name.
    case cannotOpenDisplay(String)
    /// The screen index is not one of the display's screens.
    case noSuchScreen(Int, screenCount: Int)
    /// No RandR monitor has this name.
    case noSuchMonitor(String, available: [String])
    /// The requested rectangle is empty or not inside the screen.
    case areaOutsideScreen(ScreenRectangle, screen: Int, screenSize: ScreenRectangle)
    /// The screen's pixels are not 32-bit little-endian xRGB (depth 24 or 32, TrueColor).
    case unsupportedPixelFormat(depth: Int, bitsPerPixel: Int, redMask: UInt, byteOrder: Int)
    /// The X server refused the capture request (the error's text from XGetErrorText).
    case captureFailed(String)

    public var description: String {
        switch self {
        case .noDisplayGiven:
            "No X display was named and $DISPLAY is not set; pass a display name such as \":0\"."
        case let .cannotOpenDisplay(name):
            "Cannot open X display \"\(name)\": no X server answers there, or this user may not connect to it."
        case let .noSuchScreen(index, count):
            "X screen \(index) does not exist; this display has \(count) screen\(count == 1 ? "" : "s") (0 to \(count - 1))."
        case let .noSuchMonitor(name, available):
            "No monitor is named \"\(name)\"; the display's monitors are: \(available.joined(separator: ", "))."
        case let .areaOutsideScreen(area, screen, size):
            "The capture area \(area) is empty or not inside X screen \(screen), which is \(size.width)x\(size.height)."
        case let .unsupportedPixelFormat(depth, bitsPerPixel, redMask, byteOrder):
            "The screen's pixel format is not supported (depth \(depth), \(bitsPerPixel) bits per pixel, red mask "
                + "0x\(String(redMask, radix: 16)), byte order \(byteOrder == 0 ? "LSBFirst" : "MSBFirst")); "
                + "capture needs 32-bit little-endian xRGB, as a depth 24 or 32 TrueColor screen has."
        case let .captureFailed(reason):
            "The X server refused to hand over the screen's pixels: \(reason)."
        }
    }
}
