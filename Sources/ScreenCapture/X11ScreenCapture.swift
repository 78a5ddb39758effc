import CX11
import CX11Shims
import Media

/// Captures an X screen, monitor or rectangle into `BGRAFrame`s, through MIT-SHM when the server
/// offers it (one shared segment reused for every frame) and XGetImage otherwise.
///
/// Not Sendable: it owns an Xlib connection and a shared segment that one owner uses at a time;
/// create it on the thread or actor that captures and keep it there. Every X and shared-memory
/// resource is freed when it goes away.
public final class X11ScreenCapture {
    /// The display's screens and monitors, as read when the capture was opened.
    public let screens: [X11Screen]
    /// The screen captured and the rectangle of its root window.
    public let screen: Int
    public let area: ScreenRectangle
    /// Whether frames come through MIT-SHM (false: one XGetImage request per frame).
    public var usesSharedMemory: Bool { sharedImage != nil }

    private let connection: X11Connection
    private let root: Window
    private let sharedImage: SharedMemoryImage?

    /// Opens `displayName` (nil: `$DISPLAY`) and prepares to capture `source`.
    public init(displayName: String? = nil, source: CaptureSource = .screen(nil)) throws(ScreenCaptureError) {
        connection = try X11Connection(name: displayName)
        screens = X11DisplayLayout.read(from: connection)
        (screen, area) = try source.resolve(on: screens, defaultScreen: connection.defaultScreen)
        root = connection.rootWindow(screen)
        let probe = try Self.getImage(connection, root, ScreenRectangle(x: area.x, y: area.y, width: 1, height: 1))
        defer { tandem_x11_destroy_image(probe) }
        try XImagePixels.check(probe)
        sharedImage = SharedMemoryImage(connection: connection, screen: screen, width: area.width, height: area.height)
    }

    /// The pixels of `area` now, alpha opaque.
    public func capture() throws(ScreenCaptureError) -> BGRAFrame {
        if let sharedImage {
            if let error = sharedImage.read(from: root, x: area.x, y: area.y) { throw .captureFailed(error) }
            return XImagePixels.frame(copying: sharedImage.image)
        }
        let image = try Self.getImage(connection, root, area)
        defer { tandem_x11_destroy_image(image) }
        return XImagePixels.frame(copying: image)
    }

    /// The pointer's position relative to `area`'s top left corner (it may lie outside the
    /// area), or nil when the pointer is on another screen (XQueryPointer's same_screen).
    public func cursorPosition() -> ScreenPoint? {
        var rootReturn: Window = 0, child: Window = 0
        var rootX: Int32 = 0, rootY: Int32 = 0, windowX: Int32 = 0, windowY: Int32 = 0
        var buttons: UInt32 = 0
        guard XQueryPointer(connection.display, root, &rootReturn, &child, &rootX, &rootY, &windowX, &windowY, &buttons) != 0
        else { return nil }
        return ScreenPoint(x: Int(rootX) - area.x, y: Int(rootY) - area.y)
    }

    /// One XGetImage request; the caller destroys the image (tandem_x11_destroy_image).
    private static func getImage(_ connection: X11Connection, _ root: Window,
                                 _ area: ScreenRectangle) throws(ScreenCaptureError) -> UnsafeMutablePointer<XImage> {
        let request = connection.withErrorsTrapped {
            XGetImage(connection.display, root, Int32(area.x), Int32(area.y), UInt32(area.width), UInt32(area.height),
                      tandem_x11_all_planes(), ZPixmap)
        }
        guard let image = request.result else {
            throw .captureFailed(request.error ?? "XGetImage returned no image")
        }
        return image
    }
}

/// A screen to share: the video sender captures it at its frame rate.
extension X11ScreenCapture: VideoSource {
    public var width: Int { area.width }
    public var height: Int { area.height }
}
