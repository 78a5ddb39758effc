/// What an `X11ScreenCapture` captures: a whole screen, one monitor, or any rectangle of a
/// screen's root window.
public enum CaptureSource: Equatable, Sendable {
    /// A whole X screen; nil means the display's default screen.
    case screen(Int?)
    /// The monitor of this name (see `X11DisplayLayout`).
    case monitor(String)
    /// A rectangle of a screen's root window; nil means the default screen.
    case area(ScreenRectangle, screen: Int?)

    /// The screen index and root-window rectangle this source names on `screens`.
    func resolve(on screens: [X11Screen], defaultScreen: Int) throws(ScreenCaptureError) -> (screen: Int, area: ScreenRectangle) {
        switch self {
        case let .screen(index):
            let screen = try Self.screen(index ?? defaultScreen, of: screens)
            return (screen.index, screen.size)
        case let .monitor(name):
            let monitors = screens.flatMap(\.monitors)
            guard let monitor = monitors.first(where: { $0.name == name }) else {
                throw .noSuchMonitor(name, available: monitors.map(\.name))
            }
            // RandR lets a client define a monitor anywhere (XRRSetMonitor), even off the screen.
            let screen = try Self.screen(monitor.screen, of: screens)
            guard monitor.area.isInside(screen.size) else {
                throw .areaOutsideScreen(monitor.area, screen: screen.index, screenSize: screen.size)
            }
            return (monitor.screen, monitor.area)
        case let .area(area, index):
            let screen = try Self.screen(index ?? defaultScreen, of: screens)
            guard area.isInside(screen.size) else {
                throw .areaOutsideScreen(area, screen: screen.index, screenSize: screen.size)
            }
            return (screen.index, area)
        }
    }

    private static func screen(_ index: Int, of screens: [X11Screen]) throws(ScreenCaptureError) -> X11Screen {
        guard screens.indices.contains(index) else { throw .noSuchScreen(index, screenCount: screens.count) }
        return screens[index]
    }
}
