import CX11
import CX11Shims
import Media
#if canImport(Glibc)
import Glibc
#endif

/// The helper's on-screen viewer: an X11 window showing the sharer's picture scaled to the
/// window (aspect ratio kept), redrawn on Expose and resize, and reporting the helper's mouse
/// and keyboard in source-picture coordinates.
///
/// Threading: the viewer has no thread of its own and is not Sendable. One owner thread (the
/// helper's UI thread, never the network event loop) calls `show(_:)` and `pollEvents(waitingUpTo:)`
/// in a loop; `connectionFileDescriptor` lets that thread wait for X events in its own poll(2).
public final class ViewerWindow {
    /// The window's X id (for a window manager or tests).
    public let windowID: UInt
    /// The window's current size in pixels.
    public private(set) var width: Int
    public private(set) var height: Int
    /// Whether the window has been mapped and exposed at least once.
    public private(set) var isVisible = false
    /// Set once `.closed` has been reported.
    public private(set) var isClosed = false
    /// The X connection's socket, readable when events arrive.
    public var connectionFileDescriptor: Int32 { tandem_x11_connection_number(display) }

    private let display: OpaquePointer
    private let screen: Int32
    private let graphicsContext: GC
    private let deleteWindow: Atom
    private var canvas: ViewerCanvas
    private var frame: I420Frame?
    private var destroyed = false

    /// Opens `displayName` (nil: `$DISPLAY`) and maps a `width`×`height` window titled `title`.
    public init(displayName: String? = nil, title: String = "Tandem", width: Int, height: Int) throws(ViewerError) {
        precondition(width > 0 && height > 0, "the window size must be positive")
        guard let name = displayName ?? getenv("DISPLAY").map({ String(cString: $0) }), !name.isEmpty else {
            throw .noDisplayGiven
        }
        guard let display = XOpenDisplay(name) else { throw .cannotOpenDisplay(name) }
        let screen = tandem_x11_default_screen(display)
        let visual = tandem_x11_default_visual(display, screen)!.pointee
        let depth = tandem_x11_default_depth(display, screen)
        guard depth == 24 || depth == 32, visual.red_mask == 0xFF0000, visual.green_mask == 0xFF00, visual.blue_mask == 0xFF else {
            XCloseDisplay(display)
            throw .unsupportedVisual(depth: Int(depth), redMask: visual.red_mask)
        }
        do {
            canvas = try ViewerCanvas(display: display, screen: screen, width: width, height: height)
        } catch {
            XCloseDisplay(display)
            throw error
        }
        let black = tandem_x11_black_pixel(display, screen)
        windowID = XCreateSimpleWindow(display, tandem_x11_root_window(display, screen), 0, 0, UInt32(width), UInt32(height),
                                       0, black, black)
        self.display = display
        self.screen = screen
        self.width = width
        self.height = height
        graphicsContext = XCreateGC(display, windowID, 0, nil)
        deleteWindow = XInternAtom(display, "WM_DELETE_WINDOW", False)
        Xutf8SetWMProperties(display, windowID, title, title, nil, 0, nil, nil, nil)
        var protocols = [deleteWindow]
        XSetWMProtocols(display, windowID, &protocols, 1)
        XSelectInput(display, windowID, ExposureMask | StructureNotifyMask | ButtonPressMask | ButtonReleaseMask
            | PointerMotionMask | KeyPressMask | KeyReleaseMask)
        // A held key then repeats as presses without releases in between (XkbSetDetectableAutoRepeat(3)), so
        // the sharer's side sees one long press, as on a local keyboard.
        XkbSetDetectableAutoRepeat(display, True, nil)
        XMapWindow(display, windowID)
        XFlush(display)
    }

    deinit {
        if !destroyed {
            tandem_x11_trap_errors()
            XDestroyWindow(display, windowID)
            _ = tandem_x11_untrap_errors(display)
        }
        XFreeGC(display, graphicsContext)
        XCloseDisplay(display)
    }

    /// Shows `frame` scaled to the window, and keeps it for redrawing. Returns once the server
    /// has drawn it (XSync), so a failure is reported here.
    public func show(_ frame: I420Frame) throws(ViewerError) {
        self.frame = frame
        canvas.draw(frame)
        try present()
    }

    /// The events that have arrived, after handling Expose and resizing; when none has arrived,
    /// waits up to `timeout` for one first.
    public func pollEvents(waitingUpTo timeout: Duration = .zero) throws(ViewerError) -> [ViewerEvent] {
        XFlush(display)
        if XPending(display) == 0, timeout > .zero {
            var descriptor = pollfd(fd: connectionFileDescriptor, events: Int16(POLLIN), revents: 0)
            let (seconds, attoseconds) = timeout.components
            _ = poll(&descriptor, 1, Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        }
        var events: [ViewerEvent] = []
        var event = XEvent()
        while !destroyed, XPending(display) > 0 {
            XNextEvent(display, &event)
            if let reported = try handle(event) { events.append(reported) }
        }
        return events
    }

    private func handle(_ event: XEvent) throws(ViewerError) -> ViewerEvent? {
        switch event.type {
        case Expose where event.xexpose.count == 0:
            isVisible = true
            try present()
        case ConfigureNotify where Int(event.xconfigure.width) != width || Int(event.xconfigure.height) != height:
            try resize(width: Int(event.xconfigure.width), height: Int(event.xconfigure.height))
        case ClientMessage where event.xclient.format == 32 && Atom(event.xclient.data.l.0) == deleteWindow:
            return close()
        case DestroyNotify where event.xdestroywindow.window == windowID:
            destroyed = true
            return close()
        default:
            let layout = canvas.layout ?? ViewerLayout(sourceWidth: width, sourceHeight: height, windowWidth: width, windowHeight: height)
            return ViewerInputTranslation.translate(event, layout: layout).map(ViewerEvent.input)
        }
        return nil
    }

    private func close() -> ViewerEvent? {
        guard !isClosed else { return nil }
        isClosed = true
        return .closed
    }

    private func resize(width: Int, height: Int) throws(ViewerError) {
        canvas = try ViewerCanvas(display: display, screen: screen, width: width, height: height)
        self.width = width
        self.height = height
        if let frame { canvas.draw(frame) }
        try present()
    }

    /// Puts the canvas on the window and waits for the server.
    private func present() throws(ViewerError) {
        tandem_x11_trap_errors()
        XPutImage(display, windowID, graphicsContext, canvas.image, 0, 0, 0, 0, UInt32(canvas.width), UInt32(canvas.height))
        let code = tandem_x11_untrap_errors(display)
        guard code != Success else { return }
        var text = [CChar](repeating: 0, count: 256)
        XGetErrorText(display, code, &text, Int32(text.count))
        throw .drawingFailed(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
