import CX11
import Testing
import Media
import ScreenCapture
@testable import ScreenViewer

/// The helper's viewer window on a private Xvfb (no window manager: windows sit where they
/// were created), read back through the capture path.
@Suite(.enabled(if: XvfbServer.executable != nil, Comment(rawValue: XvfbServer.missing)), .serialized)
struct ScreenViewerTests {
    /// Polls until `done` holds for the events so far, for at most ten seconds (a safety net
    /// for a broken viewer, not a speed requirement).
    static func pump(_ viewer: ViewerWindow, until done: ([ViewerEvent]) -> Bool) throws -> [ViewerEvent] {
        let deadline = ContinuousClock.now + .seconds(10)
        var events: [ViewerEvent] = []
        while !done(events), ContinuousClock.now < deadline {
            events += try viewer.pollEvents(waitingUpTo: .milliseconds(50))
        }
        return events
    }

    static func capture(_ viewer: ViewerWindow, on xvfb: XvfbServer, client: X11TestClient) throws -> BGRAFrame {
        let origin = client.rootPosition(of: viewer.windowID)
        let area = ScreenRectangle(x: origin.x, y: origin.y, width: viewer.width, height: viewer.height)
        return try X11ScreenCapture(displayName: xvfb.display, source: .area(area, screen: nil)).capture()
    }

    /// Four flat quadrants: red, green / blue, white.
    static func quadrants(width: Int, height: Int) -> BGRAFrame {
        var frame = BGRAFrame(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let (red, green, blue): (UInt8, UInt8, UInt8) = switch (x < width / 2, y < height / 2) {
                case (true, true): (220, 30, 30)
                case (false, true): (30, 200, 40)
                case (true, false): (40, 50, 210)
                case (false, false): (240, 240, 240)
                }
                let offset = y * frame.stride + x * 4
                frame.pixels[offset] = blue
                frame.pixels[offset + 1] = green
                frame.pixels[offset + 2] = red
            }
        }
        return frame
    }

    static func near(_ pixel: (blue: UInt8, green: UInt8, red: UInt8, alpha: UInt8), red: Int, green: Int, blue: Int) -> Bool {
        abs(Int(pixel.red) - red) <= 8 && abs(Int(pixel.green) - green) <= 8 && abs(Int(pixel.blue) - blue) <= 8
    }

    @Test func showsAFrameOneToOne() throws {
        let xvfb = try XvfbServer()
        let client = try X11TestClient(xvfb.display)
        let viewer = try ViewerWindow(displayName: xvfb.display, title: "Tandem test", width: 320, height: 240)
        _ = try Self.pump(viewer) { _ in viewer.isVisible }
        #expect(viewer.isVisible)
        let source = I420Frame(converting: SyntheticScreen(width: 320, height: 240, content: .shapes).frame(4))
        try viewer.show(source)
        let shown = I420Frame(converting: try Self.capture(viewer, on: xvfb, client: client))
        let psnr = try #require(shown.psnr(against: source))
        print("Viewer at 1:1, 320x240, shown picture against the source: PSNR \((psnr * 10).rounded() / 10) dB")
        #expect(psnr >= 30)
    }

    @Test func scalesToTheWindowWithBarsAndRedrawsOnResize() throws {
        let xvfb = try XvfbServer()
        let client = try X11TestClient(xvfb.display)
        let viewer = try ViewerWindow(displayName: xvfb.display, width: 320, height: 240)
        _ = try Self.pump(viewer) { _ in viewer.isVisible }
        try viewer.show(I420Frame(converting: Self.quadrants(width: 320, height: 240)))
        client.resize(viewer.windowID, width: 800, height: 480)
        _ = try Self.pump(viewer) { _ in viewer.width == 800 && viewer.height == 480 }
        #expect(viewer.width == 800 && viewer.height == 480)

        // Twice as large, 640x480, centred: black bars 80 pixels wide at the left and right.
        let shown = try Self.capture(viewer, on: xvfb, client: client)
        for (x, y) in [(10, 240), (79, 10), (720, 470), (790, 100)] {
            #expect(Self.near(shown.pixel(x: x, y: y), red: 0, green: 0, blue: 0), "bar at (\(x), \(y)): \(shown.pixel(x: x, y: y))")
        }
        #expect(Self.near(shown.pixel(x: 240, y: 120), red: 220, green: 30, blue: 30))
        #expect(Self.near(shown.pixel(x: 560, y: 120), red: 30, green: 200, blue: 40))
        #expect(Self.near(shown.pixel(x: 240, y: 360), red: 40, green: 50, blue: 210))
        #expect(Self.near(shown.pixel(x: 560, y: 360), red: 240, green: 240, blue: 240))
    }

    @Test func reportsClicksAndKeysInSourceCoordinates() throws {
        let xvfb = try XvfbServer()
        let client = try X11TestClient(xvfb.display)
        // A 640x480 source in a 400x240 window: half size, 40-pixel bars left and right.
        let viewer = try ViewerWindow(displayName: xvfb.display, width: 400, height: 240)
        _ = try Self.pump(viewer) { _ in viewer.isVisible }
        try viewer.show(I420Frame(converting: Self.quadrants(width: 640, height: 480)))
        let origin = client.rootPosition(of: viewer.windowID)
        client.click(button: 1, x: origin.x + 40 + 100, y: origin.y + 60)
        client.focus(viewer.windowID)
        client.type(keysym: UInt32(XK_a))

        let wanted: [ViewerInputEvent.Action] = [.buttonPressed(1), .buttonReleased(1), .keyPressed(keysym: UInt32(XK_a)),
                                                 .keyReleased(keysym: UInt32(XK_a))]
        func buttonsAndKeys(_ events: [ViewerEvent]) -> [ViewerInputEvent] {
            events.compactMap { if case let .input(input) = $0, input.action != .pointerMoved { input } else { nil } }
        }
        let events = try Self.pump(viewer) { buttonsAndKeys($0).count >= wanted.count }
        let inputs = buttonsAndKeys(events)
        #expect(inputs.map(\.action) == wanted)
        #expect(inputs.allSatisfy { $0.x == 200 && $0.y == 120 }, "\(inputs)")
        #expect(events.contains(.input(ViewerInputEvent(action: .pointerMoved, x: 200, y: 120))))
    }

    @Test func reportsThatTheHelperClosedTheWindow() throws {
        let xvfb = try XvfbServer()
        let client = try X11TestClient(xvfb.display)
        let viewer = try ViewerWindow(displayName: xvfb.display, width: 200, height: 100)
        _ = try Self.pump(viewer) { _ in viewer.isVisible }
        client.askToClose(viewer.windowID)
        let events = try Self.pump(viewer) { $0.contains(.closed) }
        #expect(events.filter { $0 == .closed }.count == 1)
        #expect(viewer.isClosed)
    }
}

/// Letterboxing and the window → source mapping, without X.
@Suite struct ViewerLayoutTests {
    @Test func fitsWideAndTallWindowsKeepingTheAspectRatio() {
        let pillarbox = ViewerLayout(sourceWidth: 1920, sourceHeight: 1080, windowWidth: 1000, windowHeight: 1000)
        #expect([pillarbox.pictureX, pillarbox.pictureY, pillarbox.pictureWidth, pillarbox.pictureHeight] == [0, 218, 1000, 563])
        let letterbox = ViewerLayout(sourceWidth: 640, sourceHeight: 480, windowWidth: 400, windowHeight: 240)
        #expect([letterbox.pictureX, letterbox.pictureY, letterbox.pictureWidth, letterbox.pictureHeight] == [40, 0, 320, 240])
        let exact = ViewerLayout(sourceWidth: 320, sourceHeight: 240, windowWidth: 320, windowHeight: 240)
        #expect([exact.pictureX, exact.pictureY, exact.pictureWidth, exact.pictureHeight] == [0, 0, 320, 240])
    }

    @Test func mapsWindowPixelsToSourcePixelsClampedToThePicture() {
        let layout = ViewerLayout(sourceWidth: 640, sourceHeight: 480, windowWidth: 400, windowHeight: 240)
        #expect(layout.sourcePoint(windowX: 140, windowY: 60) == (200, 120))
        #expect(layout.sourcePoint(windowX: 40, windowY: 0) == (0, 0))
        #expect(layout.sourcePoint(windowX: 359, windowY: 239) == (638, 478))
        #expect(layout.sourcePoint(windowX: 5, windowY: 500) == (0, 479))
        #expect(layout.sourcePoint(windowX: 395, windowY: -3) == (639, 0))
    }
}

/// `ViewerSession`: the viewer window on its own thread, fed from Swift concurrency.
@Suite(.enabled(if: XvfbServer.executable != nil, Comment(rawValue: XvfbServer.missing)), .serialized)
struct ViewerSessionTests {
    /// The session form: pictures handed over from another task are drawn on the viewer's own thread,
    /// and a click in the window comes back on `events`.
    @Test(.timeLimit(.minutes(1))) func aSessionShowsPicturesFromAnyThreadAndReportsInput() async throws {
        let xvfb = try XvfbServer()
        let client = try X11TestClient(xvfb.display)
        let session = try await ViewerSession.open(displayName: xvfb.display, width: 320, height: 240)
        let source = I420Frame(converting: SyntheticScreen(width: 320, height: 240, content: .shapes).frame(7))
        let window = try #require(session.windowID)
        let origin = client.rootPosition(of: window)
        let area = ScreenRectangle(x: origin.x, y: origin.y, width: 320, height: 240)
        var psnr = 0.0
        let deadline = ContinuousClock.now + .seconds(10)
        while psnr < 30, ContinuousClock.now < deadline {
            session.show(source)
            try await Task.sleep(for: .milliseconds(50))
            let shown = I420Frame(converting: try X11ScreenCapture(displayName: xvfb.display, source: .area(area, screen: nil)).capture())
            psnr = shown.psnr(against: source) ?? 0
        }
        #expect(psnr >= 30, "shown through the session: PSNR \(psnr) dB")
        client.click(x: origin.x + 100, y: origin.y + 50)
        var iterator = session.events.makeAsyncIterator()
        var clicked: ViewerInputEvent?
        while clicked == nil, let event = await iterator.next() {
            if case let .input(input) = event, case .buttonPressed = input.action { clicked = input }
        }
        #expect(clicked?.x == 100 && clicked?.y == 50, "\(String(describing: clicked))")
        session.close()
        while await iterator.next() != nil {}
    }

    @Test func aSessionOnADisplayNobodyServesFailsClearly() async {
        await #expect(throws: (any Error).self) { try await ViewerSession.open(displayName: ":98", width: 64, height: 64) }
    }
}
