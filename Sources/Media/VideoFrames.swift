/// A picture in planar YUV 4:2:0 (I420): a full-size luma plane and two chroma planes of half
/// the width and height, rounded up. Rows are tightly packed (stride = plane width).
public struct I420Frame: Equatable, Sendable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    public var y: [UInt8]
    public var u: [UInt8]
    public var v: [UInt8]

    public var description: String { "I420Frame(\(width)x\(height))" }

    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }

    /// A frame filled with one colour (defaults: black).
    public init(width: Int, height: Int, y: UInt8 = 16, u: UInt8 = 128, v: UInt8 = 128) {
        precondition(width > 0 && height > 0, "frame dimensions must be positive")
        self.width = width
        self.height = height
        let chroma = ((width + 1) / 2) * ((height + 1) / 2)
        self.y = Array(repeating: y, count: width * height)
        self.u = Array(repeating: u, count: chroma)
        self.v = Array(repeating: v, count: chroma)
    }

    /// A frame from planes of the exact sizes; nil if a plane's size does not match.
    public init?(width: Int, height: Int, y: [UInt8], u: [UInt8], v: [UInt8]) {
        let chroma = ((width + 1) / 2) * ((height + 1) / 2)
        guard width > 0, height > 0, y.count == width * height, u.count == chroma, v.count == chroma else { return nil }
        self.width = width
        self.height = height
        self.y = y
        self.u = u
        self.v = v
    }
}

/// A picture of 32-bit pixels stored B, G, R, A in memory (X11's ZPixmap on little-endian
/// machines; libyuv calls this layout "ARGB"). Rows are `stride` bytes apart.
public struct BGRAFrame: Equatable, Sendable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    public let stride: Int
    public var pixels: [UInt8]

    /// A frame filled with one colour, tightly packed.
    public init(width: Int, height: Int, blue: UInt8 = 0, green: UInt8 = 0, red: UInt8 = 0, alpha: UInt8 = 255) {
        precondition(width > 0 && height > 0, "frame dimensions must be positive")
        self.width = width
        self.height = height
        stride = width * 4
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        pixels.withUnsafeMutableBytes { raw in
            let word = UInt32(blue) | UInt32(green) << 8 | UInt32(red) << 16 | UInt32(alpha) << 24
            raw.bindMemory(to: UInt32.self).update(repeating: UInt32(littleEndian: word))
        }
        self.pixels = pixels
    }

    /// A frame over existing pixel rows; nil if the buffer is too small for `height` rows.
    public init?(width: Int, height: Int, stride: Int, pixels: [UInt8]) {
        guard width > 0, height > 0, stride >= width * 4, pixels.count >= stride * (height - 1) + width * 4 else {
            return nil
        }
        self.width = width
        self.height = height
        self.stride = stride
        self.pixels = pixels
    }

    public var description: String { "BGRAFrame(\(width)x\(height))" }

    /// The pixel at (x, y) as (blue, green, red, alpha).
    public func pixel(x: Int, y: Int) -> (blue: UInt8, green: UInt8, red: UInt8, alpha: UInt8) {
        let offset = y * stride + x * 4
        return (pixels[offset], pixels[offset + 1], pixels[offset + 2], pixels[offset + 3])
    }
}
