import CX11
import CX11Shims
import Media

/// The test's own Xlib connection, for drawing known content and playing the user: pictures on
/// root windows, RandR monitors, pointer warps, XTest clicks and keys, window-manager requests.
final class X11TestClient {
    let display: OpaquePointer

    init(_ name: String) throws {
        guard let display = XOpenDisplay(name) else { throw XvfbServer.StartFailure(description: "cannot open \(name)") }
        self.display = display
    }

    deinit {
        XCloseDisplay(display)
    }

    func root(_ screen: Int = 0) -> Window { tandem_x11_root_window(display, Int32(screen)) }

    /// Puts `frame` on screen `screen`'s root window at (x, y) and waits for the server.
    func put(_ frame: BGRAFrame, x: Int = 0, y: Int = 0, screen: Int = 0) {
        var pixels = frame.pixels
        let gc = XCreateGC(display, root(screen), 0, nil)
        pixels.withUnsafeMutableBytes { raw in
            let image = XCreateImage(display, tandem_x11_default_visual(display, Int32(screen)), 24, ZPixmap, 0,
                                     raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(frame.width),
                                     UInt32(frame.height), 32, Int32(frame.stride))!
            image.pointee.byte_order = LSBFirst
            XPutImage(display, root(screen), gc, image, 0, 0, Int32(x), Int32(y), UInt32(frame.width), UInt32(frame.height))
            image.pointee.data = nil
            tandem_x11_destroy_image(image)
        }
        XFreeGC(display, gc)
        XSync(display, False)
    }

    /// Defines a RandR 1.5 monitor (what `xrandr --setmonitor` does).
    func addMonitor(_ name: String, x: Int, y: Int, width: Int, height: Int) {
        let monitor = XRRAllocateMonitor(display, 0)!
        monitor.pointee.name = XInternAtom(display, name, False)
        (monitor.pointee.x, monitor.pointee.y) = (Int32(x), Int32(y))
        (monitor.pointee.width, monitor.pointee.height) = (Int32(width), Int32(height))
        (monitor.pointee.mwidth, monitor.pointee.mheight) = (Int32(width / 4), Int32(height / 4))
        XRRSetMonitor(display, root(), monitor)
        XRRFreeMonitors(monitor)
        XSync(display, False)
    }

    func warpPointer(x: Int, y: Int) {
        XWarpPointer(display, 0, root(), 0, 0, 0, 0, Int32(x), Int32(y))
        XSync(display, False)
    }

    /// A real click through the server's input path (XTest): the pointer moves to (x, y) on the
    /// root window, then button `button` goes down and up.
    func click(button: UInt32 = 1, x: Int, y: Int) {
        XTestFakeMotionEvent(display, 0, Int32(x), Int32(y), 0)
        XTestFakeButtonEvent(display, button, True, 0)
        XTestFakeButtonEvent(display, button, False, 0)
        XSync(display, False)
    }

    /// Presses and releases the key that produces `keysym` (XTest).
    func type(keysym: UInt32) {
        let keycode = UInt32(XKeysymToKeycode(display, KeySym(keysym)))
        XTestFakeKeyEvent(display, keycode, True, 0)
        XTestFakeKeyEvent(display, keycode, False, 0)
        XSync(display, False)
    }

    func focus(_ window: UInt) {
        XSetInputFocus(display, Window(window), RevertToParent, 0)
        XSync(display, False)
    }

    func resize(_ window: UInt, width: Int, height: Int) {
        XResizeWindow(display, Window(window), UInt32(width), UInt32(height))
        XSync(display, False)
    }

    /// What a window manager sends when the user closes a window (ICCCM §4.2.8.1).
    func askToClose(_ window: UInt) {
        var event = XEvent()
        event.xclient.type = ClientMessage
        event.xclient.window = Window(window)
        event.xclient.message_type = XInternAtom(display, "WM_PROTOCOLS", False)
        event.xclient.format = 32
        event.xclient.data.l.0 = Int(XInternAtom(display, "WM_DELETE_WINDOW", False))
        event.xclient.data.l.1 = 0  // CurrentTime
        XSendEvent(display, Window(window), False, 0, &event)
        XSync(display, False)
    }

    /// The window's top left corner in root coordinates.
    func rootPosition(of window: UInt) -> (x: Int, y: Int) {
        var x: Int32 = 0, y: Int32 = 0
        var child: Window = 0
        XTranslateCoordinates(display, Window(window), root(), 0, 0, &x, &y, &child)
        return (Int(x), Int(y))
    }
}

extension BGRAFrame {
    /// The rectangle (x, y, width, height) of this frame, tightly packed.
    func cropped(x: Int, y: Int, width: Int, height: Int) -> BGRAFrame {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * 4)
        for row in y..<y + height {
            pixels += self.pixels[row * stride + x * 4..<row * stride + (x + width) * 4]
        }
        return BGRAFrame(width: width, height: height, stride: width * 4, pixels: pixels)!
    }
}
