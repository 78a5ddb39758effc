/// Why the viewer window could not be opened or drawn; `description` is a sentence for the user.
public enum ViewerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No display name was given and `$DISPLAY` is not set.
    case noDisplayGiven
    /// XOpenDisplay failed for this name.
    case cannotOpenDisplay(String)
    /// The default visual is not 32-bit xRGB TrueColor (depth 24 or 32).
    case unsupportedVisual(depth: Int, redMask: UInt)
    /// The X server refused a request (the error's text from XGetErrorText).
    case drawingFailed(String)

    public var description: String {
        switch self {
        case .noDisplayGiven:
            "No X display was named for the viewer and $DISPLAY is not set; pass a display name such as \":0\"."
        case let .cannotOpenDisplay(name):
            "Cannot open X display \"\(name)\" for the viewer: no X server answers there, or this user may not connect to it."
        case let .unsupportedVisual(depth, redMask):
            "The viewer needs a TrueColor screen of depth 24 or 32 with red mask 0xff0000; this one has depth \(depth) "
                + "and red mask 0x\(String(redMask, radix: 16))."
        case let .drawingFailed(reason):
            "The X server refused to draw the viewer window: \(reason)."
        }
    }
}
