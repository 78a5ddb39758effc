/// A made-up desktop for tests and benchmarks, deterministic in the frame index: a window of
/// text-like stripes on a plain background, animated according to `content`.
public struct SyntheticScreen: Sendable {
    public enum Content: String, CaseIterable, Sendable {
        /// The same picture every frame.
        case `static`
        /// Half a page of text, then one more character per frame on the current line, and a cursor.
        case typing
        /// The text scrolls up by a third of a line per frame.
        case scrolling
        /// The text stays; a quarter of the screen plays changing, video-like pictures.
        case video
        /// Coloured rectangles move across the desktop.
        case shapes
    }

    public let width: Int
    public let height: Int
    public let content: Content

    private let lineHeight: Int
    private let glyphWidth: Int
    private let window: Rect
    private let text: Rect

    struct Rect {
        var x, y, width, height: Int
    }

    static let desktop = Colour(red: 0x3A, green: 0x6E, blue: 0xA5)
    static let paper = Colour(red: 0xFF, green: 0xFF, blue: 0xFF)
    static let titleBar = Colour(red: 0x30, green: 0x30, blue: 0x38)
    static let ink = Colour(red: 0x20, green: 0x20, blue: 0x20)

    struct Colour {
        var red, green, blue: UInt8
        var word: UInt32 { UInt32(blue) | UInt32(green) << 8 | UInt32(red) << 16 | 0xFF00_0000 }
    }

    public init(width: Int, height: Int, content: Content) {
        precondition(width >= 32 && height >= 32, "the synthetic screen needs at least 32x32 pixels")
        self.width = width
        self.height = height
        self.content = content
        lineHeight = max(8, height / 45)
        glyphWidth = max(3, lineHeight / 2)
        window = Rect(x: width / 16, y: height / 12, width: width * 7 / 8, height: height * 5 / 6)
        let titleHeight = max(6, height / 30)
        text = Rect(x: window.x + glyphWidth, y: window.y + titleHeight + lineHeight / 2,
                    width: window.width - 2 * glyphWidth, height: window.height - titleHeight - lineHeight)
    }

    /// The picture shown at frame `index`.
    public func frame(_ index: Int) -> BGRAFrame {
        var frame = BGRAFrame(width: width, height: height)
        frame.pixels.withUnsafeMutableBytes { raw in
            let pixels = raw.bindMemory(to: UInt32.self)
            var canvas = Canvas(pixels: pixels, width: width, height: height)
            draw(index, on: &canvas)
        }
        return frame
    }

    private func draw(_ index: Int, on canvas: inout Canvas) {
        canvas.fill(Rect(x: 0, y: 0, width: width, height: height), Self.desktop)
        if content == .shapes { drawShapes(index, on: &canvas) }
        canvas.fill(window, Self.paper)
        canvas.fill(Rect(x: window.x, y: window.y, width: window.width, height: max(6, height / 30)), Self.titleBar)
        let charactersPerLine = max(1, text.width / glyphWidth)
        let lines = max(1, text.height / lineHeight)
        switch content {
        case .static, .shapes, .video:
            drawText(firstLine: 0, offset: 0, typedLimit: nil, on: &canvas)
        case .typing:
            // Typing goes on below half a page of text already written.
            let line = lines / 2 + (index / charactersPerLine) % max(1, lines - lines / 2)
            drawText(firstLine: 0, offset: 0, typedLimit: (line, index % charactersPerLine), on: &canvas)
        case .scrolling:
            let scrolled = index * max(1, lineHeight / 3)
            drawText(firstLine: scrolled / lineHeight, offset: scrolled % lineHeight, typedLimit: nil, on: &canvas)
        }
        if content == .video { drawVideo(index, on: &canvas) }
    }

    /// Lines of "words" (runs of glyph-like marks, two thirds of a line high); with `typedLimit`, lines after
    /// the typed line are empty and the typed line stops after that many characters, followed by
    /// a cursor.
    private func drawText(firstLine: Int, offset: Int, typedLimit: (line: Int, characters: Int)?, on canvas: inout Canvas) {
        let charactersPerLine = max(1, text.width / glyphWidth)
        let glyphHeight = max(2, lineHeight * 2 / 3)
        var row = 0
        while text.y + row * lineHeight - offset < text.y + text.height {
            defer { row += 1 }
            let top = text.y + row * lineHeight - offset
            let line = firstLine + row
            var limit = charactersPerLine
            if let typedLimit {
                if row > typedLimit.line { break }
                if row == typedLimit.line { limit = typedLimit.characters }
            }
            var column = 0
            var word = 0
            while column < limit {
                let length = 1 + Int(Self.mix(UInt64(line) << 20 | UInt64(word)) % 9)
                let visible = min(length, limit - column)
                for character in 0..<visible {
                    drawGlyph(Self.mix(UInt64(line) << 40 | UInt64(column + character)),
                              x: text.x + (column + character) * glyphWidth, y: top, height: glyphHeight, on: &canvas)
                }
                column += length + 1
                word += 1
            }
            if let typedLimit, row == typedLimit.line {
                canvas.fill(Rect(x: text.x + limit * glyphWidth, y: top, width: max(1, glyphWidth / 3), height: lineHeight - 1),
                            Self.ink, clip: text)
            }
        }
    }

    /// A character-like mark: a stem at one of three places and bars at the top, middle or
    /// bottom, chosen by the bits of `shape`, so that text has the fine edges of real glyphs.
    private func drawGlyph(_ shape: UInt64, x: Int, y: Int, height: Int, on canvas: inout Canvas) {
        let width = glyphWidth - 1
        let stroke = max(1, width / 4)
        let stemX = x + Int(shape % 3) * (width - stroke) / 2
        canvas.fill(Rect(x: stemX, y: y + Int(shape >> 2 & 1) * height / 3, width: stroke, height: height * 2 / 3 + 1),
                    Self.ink, clip: text)
        for (bit, barY) in [(4, y), (5, y + height / 2), (6, y + height - stroke)] where shape >> UInt64(bit) & 1 == 1 {
            canvas.fill(Rect(x: x, y: barY, width: width, height: stroke), Self.ink, clip: text)
        }
    }

    private func drawShapes(_ index: Int, on canvas: inout Canvas) {
        for shape in 0..<6 {
            let seed = Self.mix(UInt64(shape) + 1000)
            let size = height / 10 + Int(seed % UInt64(height / 8))
            let speedX = 2 + Int(seed >> 8 % 7), speedY = 1 + Int(seed >> 16 % 5)
            let x = Self.bounce(Int(seed >> 24 % UInt64(width)) + index * speedX, span: width - size)
            let y = Self.bounce(Int(seed >> 32 % UInt64(height)) + index * speedY, span: height - size)
            let colour = Colour(red: UInt8(truncatingIfNeeded: seed >> 40), green: UInt8(truncatingIfNeeded: seed >> 48),
                                blue: UInt8(truncatingIfNeeded: seed >> 56))
            canvas.fill(Rect(x: x, y: y, width: size, height: size), colour)
        }
    }

    /// A moving colour gradient with a bouncing disc in the lower right quarter.
    private func drawVideo(_ index: Int, on canvas: inout Canvas) {
        let area = Rect(x: width / 2, y: height / 2, width: width / 2 - width / 16, height: height / 2 - height / 12)
        let radius = max(4, area.height / 5)
        let centreX = area.x + radius + Self.bounce(index * 5, span: max(1, area.width - 2 * radius))
        let centreY = area.y + radius + Self.bounce(index * 3, span: max(1, area.height - 2 * radius))
        for y in area.y..<area.y + area.height {
            for x in area.x..<area.x + area.width {
                let dx = x - centreX, dy = y - centreY
                let colour: Colour = dx * dx + dy * dy <= radius * radius
                    ? Colour(red: 0xF0, green: 0xC0, blue: 0x20)
                    : Colour(red: UInt8(truncatingIfNeeded: x + index * 3), green: UInt8(truncatingIfNeeded: y * 2 - index),
                             blue: UInt8(truncatingIfNeeded: (x + y) / 2 + index * 7))
                canvas.set(x: x, y: y, colour)
            }
        }
    }

    /// Position along a back-and-forth path over 0...span.
    static func bounce(_ position: Int, span: Int) -> Int {
        guard span > 0 else { return 0 }
        let cycle = position % (2 * span)
        return cycle <= span ? cycle : 2 * span - cycle
    }

    /// A fixed integer hash (SplitMix64's finaliser), so the picture depends only on its inputs.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    struct Canvas {
        let pixels: UnsafeMutableBufferPointer<UInt32>
        let width: Int
        let height: Int

        /// Fills the part of `rect` inside the screen (and inside `clip`, if given).
        mutating func fill(_ rect: Rect, _ colour: Colour, clip: Rect? = nil) {
            var left = max(0, rect.x), top = max(0, rect.y)
            var right = min(width, rect.x + rect.width), bottom = min(height, rect.y + rect.height)
            if let clip {
                left = max(left, clip.x); top = max(top, clip.y)
                right = min(right, clip.x + clip.width); bottom = min(bottom, clip.y + clip.height)
            }
            guard left < right, top < bottom else { return }
            let word = UInt32(littleEndian: colour.word)
            for y in top..<bottom {
                UnsafeMutableBufferPointer(rebasing: pixels[y * width + left..<y * width + right]).update(repeating: word)
            }
        }

        mutating func set(x: Int, y: Int, _ colour: Colour) {
            guard x >= 0, x < width, y >= 0, y < height else { return }
            pixels[y * width + x] = UInt32(littleEndian: colour.word)
        }
    }
}
