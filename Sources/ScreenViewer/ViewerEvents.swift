/// What the viewer window reports to its owner.
public enum ViewerEvent: Equatable, Sendable {
    /// The helper used the mouse or keyboard in the window.
    case input(ViewerInputEvent)
    /// The helper asked to close the window (WM_DELETE_WINDOW, ICCCM §4.2.8.1) or it was
    /// destroyed; the owner ends the viewing and drops the viewer.
    case closed
}

/// A mouse or keyboard event of the helper, in the coordinates of the source picture (the
/// sharer's screen), ready to be sent for injection.
public struct ViewerInputEvent: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        case pointerMoved
        /// X button numbers: 1 left, 2 middle, 3 right; 4 and 5 are the wheel up and down, 6 and
        /// 7 left and right (the X core protocol's convention for wheels).
        case buttonPressed(Int)
        case buttonReleased(Int)
        /// The keysym as the helper's keyboard layout and Shift/Lock state give it
        /// (XLookupString), e.g. XK_A for Shift+a.
        case keyPressed(keysym: UInt32)
        case keyReleased(keysym: UInt32)
    }

    public var action: Action
    /// The pointer's position in source-picture pixels, clamped to the picture (so a release
    /// over the black bars still lands on its edge). Before the first frame: window pixels.
    public var x: Int
    public var y: Int
    public var modifiers: ViewerModifiers

    public init(action: Action, x: Int, y: Int, modifiers: ViewerModifiers = []) {
        self.action = action
        self.x = x
        self.y = y
        self.modifiers = modifiers
    }
}

/// The modifier keys held during an event, bit for bit the X core protocol's SETofKEYMASK.
public struct ViewerModifiers: OptionSet, Equatable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let shift = ViewerModifiers(rawValue: 1 << 0)
    public static let lock = ViewerModifiers(rawValue: 1 << 1)
    public static let control = ViewerModifiers(rawValue: 1 << 2)
    /// Usually Alt.
    public static let mod1 = ViewerModifiers(rawValue: 1 << 3)
    /// Usually Num Lock.
    public static let mod2 = ViewerModifiers(rawValue: 1 << 4)
    public static let mod3 = ViewerModifiers(rawValue: 1 << 5)
    /// Usually Super (the Windows key).
    public static let mod4 = ViewerModifiers(rawValue: 1 << 6)
    public static let mod5 = ViewerModifiers(rawValue: 1 << 7)

    /// The modifier bits of an X event's `state` (its button bits are left out).
    init(xState: UInt32) { rawValue = xState & 0xFF }
}
