import CX11
import CX11Shims
#if canImport(Glibc)
import Glibc
#endif

/// One connection to an X server (an Xlib `Display`), closed when the object goes away.
/// Not Sendable: Xlib connections belong to one thread at a time, the owner's.
final class X11Connection {
    let display: OpaquePointer
    /// The name it was opened with, after `$DISPLAY` was looked up.
    let name: String

    /// Opens `name`, or `$DISPLAY` when nil.
    init(name: String?) throws(ScreenCaptureError) {
        guard let resolved = name ?? getenv("DISPLAY").map({ String(cString: $0) }), !resolved.isEmpty else {
            throw .noDisplayGiven
        }
        guard let display = XOpenDisplay(resolved) else { throw .cannotOpenDisplay(resolved) }
        self.display = display
        self.name = resolved
    }

    deinit {
        XCloseDisplay(display)
    }

    var defaultScreen: Int { Int(tandem_x11_default_screen(display)) }
    var screenCount: Int { Int(tandem_x11_screen_count(display)) }

    func rootWindow(_ screen: Int) -> Window { tandem_x11_root_window(display, Int32(screen)) }

    func size(ofScreen screen: Int) -> ScreenRectangle {
        ScreenRectangle(x: 0, y: 0, width: Int(tandem_x11_display_width(display, Int32(screen))),
                        height: Int(tandem_x11_display_height(display, Int32(screen))))
    }

    /// Runs `body` with X errors trapped and waits for the server's answer (XSync); returns the
    /// text of the first X error raised, or nil.
    func withErrorsTrapped<T>(_ body: () -> T) -> (result: T, error: String?) {
        tandem_x11_trap_errors()
        let result = body()
        let code = tandem_x11_untrap_errors(display)
        guard code != Success else { return (result, nil) }
        var text = [CChar](repeating: 0, count: 256)
        XGetErrorText(display, code, &text, Int32(text.count))
        return (result, String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
