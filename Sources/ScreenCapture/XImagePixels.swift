import CX11
import Media

/// The one pixel layout capture accepts: 32 bits per pixel, least significant byte first, red in
/// bits 16–23, green 8–15, blue 0–7 (what depth 24 and 32 TrueColor screens use on x86 and ARM
/// servers); in memory that is B, G, R, x, the layout of `BGRAFrame`.
enum XImagePixels {
    static func check(_ image: UnsafeMutablePointer<XImage>) throws(ScreenCaptureError) {
        let image = image.pointee
        guard image.bits_per_pixel == 32, image.byte_order == LSBFirst, image.depth == 24 || image.depth == 32,
              image.red_mask == 0xFF0000, image.green_mask == 0xFF00, image.blue_mask == 0xFF else {
            throw .unsupportedPixelFormat(depth: Int(image.depth), bitsPerPixel: Int(image.bits_per_pixel),
                                          redMask: image.red_mask, byteOrder: Int(image.byte_order))
        }
    }

    /// A tightly packed copy of a checked image, with opaque alpha (the x byte is undefined in
    /// a depth 24 image).
    static func frame(copying image: UnsafeMutablePointer<XImage>) -> BGRAFrame {
        let (width, height) = (Int(image.pointee.width), Int(image.pointee.height))
        let sourceStride = Int(image.pointee.bytes_per_line)
        let source = UnsafeRawPointer(image.pointee.data!)
        var frame = BGRAFrame(width: width, height: height)
        frame.pixels.withUnsafeMutableBytes { raw in
            let destination = raw.bindMemory(to: UInt32.self)
            let opaque = UInt32(littleEndian: 0xFF00_0000)
            for row in 0..<height {
                let line = (source + row * sourceStride).assumingMemoryBound(to: UInt32.self)
                let start = row * width
                for column in 0..<width { destination[start + column] = line[column] | opaque }
            }
        }
        return frame
    }
}
