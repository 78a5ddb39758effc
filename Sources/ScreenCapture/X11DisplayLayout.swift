import CX11

/// One X screen (`:0.N`) and the monitors shown on it.
public struct X11Screen: Equatable, Sendable {
    public var index: Int
    /// The root window's size (origin 0,0).
    public var size: ScreenRectangle
    public var monitors: [X11Monitor]
}

/// A monitor: a rectangle of a screen's root window that one physical (or virtual) display
/// shows. Listed by RandR 1.5 (`XRRGetMonitors`, randrproto.txt §5.6); without RandR 1.5 each
/// screen counts as one monitor named "screen N".
public struct X11Monitor: Equatable, Sendable {
    public var name: String
    public var screen: Int
    public var area: ScreenRectangle
    public var isPrimary: Bool
}

/// Reads which screens and monitors a display has.
public enum X11DisplayLayout {
    /// The screens of the display `displayName` (nil: `$DISPLAY`), each with its monitors.
    public static func screens(displayName: String?) throws(ScreenCaptureError) -> [X11Screen] {
        read(from: try X11Connection(name: displayName))
    }

    static func read(from connection: X11Connection) -> [X11Screen] {
        let randr15 = supportsMonitors(connection)
        return (0..<connection.screenCount).map { index in
            let size = connection.size(ofScreen: index)
            let monitors = randr15 ? monitors(of: index, on: connection) : []
            return X11Screen(index: index, size: size, monitors: monitors.isEmpty
                ? [X11Monitor(name: "screen \(index)", screen: index, area: size, isPrimary: false)]
                : monitors)
        }
    }

    private static func supportsMonitors(_ connection: X11Connection) -> Bool {
        var eventBase: Int32 = 0, errorBase: Int32 = 0, major: Int32 = 0, minor: Int32 = 0
        guard XRRQueryExtension(connection.display, &eventBase, &errorBase) != 0,
              XRRQueryVersion(connection.display, &major, &minor) != 0 else { return false }
        return major > 1 || (major == 1 && minor >= 5)
    }

    private static func monitors(of screen: Int, on connection: X11Connection) -> [X11Monitor] {
        var count: Int32 = 0
        guard let list = XRRGetMonitors(connection.display, connection.rootWindow(screen), True, &count) else { return [] }
        defer { XRRFreeMonitors(list) }
        return UnsafeBufferPointer(start: list, count: Int(count)).map { info in
            var name = "monitor"
            if let atomName = XGetAtomName(connection.display, info.name) {
                name = String(cString: atomName)
                XFree(atomName)
            }
            return X11Monitor(name: name, screen: screen,
                              area: ScreenRectangle(x: Int(info.x), y: Int(info.y), width: Int(info.width), height: Int(info.height)),
                              isPrimary: info.primary != 0)
        }
    }
}
