import Foundation
import Testing
import Media
@testable import ScreenCapture

/// Capture from a real X server (a private Xvfb per test) showing known pictures.
@Suite(.enabled(if: XvfbServer.executable != nil, Comment(rawValue: XvfbServer.missing)), .serialized)
struct X11ScreenCaptureTests {
    static let desktop = SyntheticScreen(width: 1280, height: 720, content: .static).frame(0)

    @Test func capturesTheScreenExactlyThroughSharedMemoryAndSurvivesVP8() throws {
        let xvfb = try XvfbServer()
        let client = try X11TestClient(xvfb.display)
        client.put(Self.desktop)
        let capture = try X11ScreenCapture(displayName: xvfb.display)
        #expect(capture.usesSharedMemory)
        #expect(capture.area == ScreenRectangle(x: 0, y: 0, width: 1280, height: 720))
        let first = try capture.capture()
        #expect(first == Self.desktop)

        // The same shared segment serves the next frames.
        let shapes = SyntheticScreen(width: 1280, height: 720, content: .shapes)
        var captured: [BGRAFrame] = []
        for index in 0..<3 {
            client.put(shapes.frame(index))
            captured.append(try capture.capture())
            #expect(captured[index] == shapes.frame(index), "frame \(index)")
        }

        let encoder = try VP8Encoder(settings: VP8EncoderSettings(width: 1280, height: 720, bitrate: 2_500_000))
        let decoder = try VP8Decoder()
        var psnrs: [Double] = []
        for (index, frame) in ([first] + captured).enumerated() {
            let source = I420Frame(converting: frame)
            for encoded in try encoder.encode(source, pts: Int64(index) * 3000) {
                guard case let .picture(picture) = decoder.decode(encoded.data) else {
                    Issue.record("frame \(index) did not decode")
                    continue
                }
                psnrs.append(try #require(picture.psnr(against: source)))
            }
        }
        print("X11 capture → VP8 → decode, 1280x720, PSNR per frame (dB): \(psnrs.map { ($0 * 10).rounded() / 10 })")
        #expect(psnrs.count == 4)
        #expect(psnrs.allSatisfy { $0 >= 30 }, "PSNR per frame: \(psnrs)")
    }

    @Test func fallsBackToGetImageWithoutSharedMemory() throws {
        let xvfb = try XvfbServer(arguments: ["-extension", "MIT-SHM"])
        let client = try X11TestClient(xvfb.display)
        client.put(Self.desktop)
        let capture = try X11ScreenCapture(displayName: xvfb.display)
        #expect(!capture.usesSharedMemory)
        #expect(try capture.capture() == Self.desktop)
    }

    @Test func capturesOneMonitorOrARectangle() throws {
        let xvfb = try XvfbServer()
        let client = try X11TestClient(xvfb.display)
        client.put(Self.desktop)
        client.addMonitor("LEFT", x: 0, y: 0, width: 640, height: 720)
        client.addMonitor("RIGHT", x: 640, y: 0, width: 640, height: 720)

        let screens = try X11DisplayLayout.screens(displayName: xvfb.display)
        let monitors = try #require(screens.first).monitors
        #expect(monitors.contains(X11Monitor(name: "RIGHT", screen: 0, area: ScreenRectangle(x: 640, y: 0, width: 640, height: 720),
                                             isPrimary: false)), "\(monitors)")
        #expect(monitors.contains { $0.name == "LEFT" })

        let right = try X11ScreenCapture(displayName: xvfb.display, source: .monitor("RIGHT"))
        #expect(try right.capture() == Self.desktop.cropped(x: 640, y: 0, width: 640, height: 720))

        let area = ScreenRectangle(x: 101, y: 53, width: 333, height: 177)
        let rectangle = try X11ScreenCapture(displayName: xvfb.display, source: .area(area, screen: nil))
        #expect(try rectangle.capture() == Self.desktop.cropped(x: 101, y: 53, width: 333, height: 177))
    }

    @Test func capturesASecondXScreen() throws {
        let xvfb = try XvfbServer(screens: ["1280x720x24", "640x480x24"])
        let client = try X11TestClient(xvfb.display)
        let small = SyntheticScreen(width: 640, height: 480, content: .shapes).frame(3)
        client.put(small, screen: 1)

        let screens = try X11DisplayLayout.screens(displayName: xvfb.display)
        #expect(screens.map(\.size) == [ScreenRectangle(x: 0, y: 0, width: 1280, height: 720),
                                        ScreenRectangle(x: 0, y: 0, width: 640, height: 480)])
        let capture = try X11ScreenCapture(displayName: xvfb.display, source: .screen(1))
        #expect(capture.screen == 1)
        #expect(try capture.capture() == small)
        #expect(throws: ScreenCaptureError.noSuchScreen(2, screenCount: 2)) {
            try X11ScreenCapture(displayName: xvfb.display, source: .screen(2))
        }
    }

    @Test func reportsTheCursorPosition() throws {
        let xvfb = try XvfbServer()
        let client = try X11TestClient(xvfb.display)
        client.warpPointer(x: 321, y: 123)
        let whole = try X11ScreenCapture(displayName: xvfb.display)
        #expect(whole.cursorPosition() == ScreenPoint(x: 321, y: 123))
        let area = try X11ScreenCapture(displayName: xvfb.display,
                                        source: .area(ScreenRectangle(x: 300, y: 100, width: 100, height: 100), screen: 0))
        #expect(area.cursorPosition() == ScreenPoint(x: 21, y: 23))
    }

    @Test func refusesWrongScreensAreasAndMonitorsWithSentences() throws {
        let xvfb = try XvfbServer()
        let outside = ScreenRectangle(x: 1200, y: 0, width: 200, height: 100)
        let error = try #require(throws: ScreenCaptureError.self) {
            try X11ScreenCapture(displayName: xvfb.display, source: .area(outside, screen: nil))
        }
        #expect(error == .areaOutsideScreen(outside, screen: 0, screenSize: ScreenRectangle(x: 0, y: 0, width: 1280, height: 720)))
        #expect(error.description == "The capture area 200x100+1200+0 is empty or not inside X screen 0, which is 1280x720.")
        #expect(throws: ScreenCaptureError.noSuchMonitor("HDMI-9", available: ["screen"])) {
            try X11ScreenCapture(displayName: xvfb.display, source: .monitor("HDMI-9"))
        }
    }
}

/// No X server is needed to fail to reach one.
@Suite struct X11DisplayErrorTests {
    @Test func aDisplayNobodyServesGivesAClearError() throws {
        let number = try #require((900..<1000).first {
            !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\($0)") && !FileManager.default.fileExists(atPath: "/tmp/.X\($0)-lock")
        })
        let error = try #require(throws: ScreenCaptureError.self) { try X11ScreenCapture(displayName: ":\(number)") }
        #expect(error == .cannotOpenDisplay(":\(number)"))
        #expect(error.description
            == "Cannot open X display \":\(number)\": no X server answers there, or this user may not connect to it.")
    }
}
