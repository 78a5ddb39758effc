import CX11
import CX11Shims
import CYUV
import Media

/// The window-sized BGRA picture the viewer puts on screen (an XImage over our own buffer):
/// the source scaled to fit with libyuv (I420Scale, box filter, then I420ToARGB), black bars
/// around it.
final class ViewerCanvas {
    let width: Int
    let height: Int
    let image: UnsafeMutablePointer<XImage>
    private let pixels: UnsafeMutableRawPointer
    private var scaled: I420Frame?
    private(set) var layout: ViewerLayout?

    init(display: OpaquePointer, screen: Int32, width: Int, height: Int) throws(ViewerError) {
        let stride = width * 4
        pixels = .allocate(byteCount: stride * height, alignment: 16)
        pixels.initializeMemory(as: UInt32.self, repeating: UInt32(littleEndian: 0xFF00_0000), count: width * height)
        guard let image = XCreateImage(display, tandem_x11_default_visual(display, screen),
                                       UInt32(tandem_x11_default_depth(display, screen)), ZPixmap, 0,
                                       pixels.assumingMemoryBound(to: CChar.self), UInt32(width), UInt32(height),
                                       32, Int32(stride)) else {
            pixels.deallocate()
            throw .drawingFailed("XCreateImage could not describe a \(width)x\(height) picture")
        }
        // XCreateImage assumes the server's byte order; these pixels are B, G, R, A in memory,
        // and XPutImage swaps them if the server wants the other order.
        image.pointee.byte_order = LSBFirst
        self.image = image
        self.width = width
        self.height = height
    }

    deinit {
        image.pointee.data = nil
        tandem_x11_destroy_image(image)
        pixels.deallocate()
    }

    /// Draws `frame` scaled into the canvas.
    func draw(_ frame: I420Frame) {
        let layout = ViewerLayout(sourceWidth: frame.width, sourceHeight: frame.height, windowWidth: width, windowHeight: height)
        if layout != self.layout {
            pixels.withMemoryRebound(to: UInt32.self, capacity: width * height) {
                $0.update(repeating: UInt32(littleEndian: 0xFF00_0000), count: width * height)
            }
            self.layout = layout
        }
        let picture = layout.pictureWidth == frame.width && layout.pictureHeight == frame.height
            ? frame : scale(frame, to: layout)
        let stride = width * 4
        let origin = (pixels + layout.pictureY * stride + layout.pictureX * 4).assumingMemoryBound(to: UInt8.self)
        picture.y.withUnsafeBufferPointer { y in picture.u.withUnsafeBufferPointer { u in picture.v.withUnsafeBufferPointer { v in
            _ = I420ToARGB(y.baseAddress, Int32(picture.width), u.baseAddress, Int32(picture.chromaWidth),
                           v.baseAddress, Int32(picture.chromaWidth), origin, Int32(stride),
                           Int32(picture.width), Int32(picture.height))
        } } }
    }

    private func scale(_ frame: I420Frame, to layout: ViewerLayout) -> I420Frame {
        var scaled = self.scaled.flatMap { $0.width == layout.pictureWidth && $0.height == layout.pictureHeight ? $0 : nil }
            ?? I420Frame(width: layout.pictureWidth, height: layout.pictureHeight)
        self.scaled = nil  // one reference to the planes, so writing them does not copy
        let (sourceChroma, destinationChroma) = (Int32(frame.chromaWidth), Int32(scaled.chromaWidth))
        frame.y.withUnsafeBufferPointer { y in frame.u.withUnsafeBufferPointer { u in frame.v.withUnsafeBufferPointer { v in
            scaled.y.withUnsafeMutableBufferPointer { dy in scaled.u.withUnsafeMutableBufferPointer { du in
                scaled.v.withUnsafeMutableBufferPointer { dv in
                    _ = I420Scale(y.baseAddress, Int32(frame.width), u.baseAddress, sourceChroma, v.baseAddress, sourceChroma,
                                  Int32(frame.width), Int32(frame.height),
                                  dy.baseAddress, Int32(layout.pictureWidth), du.baseAddress, destinationChroma,
                                  dv.baseAddress, destinationChroma, Int32(layout.pictureWidth), Int32(layout.pictureHeight),
                                  kFilterBox)
                }
            } }
        } } }
        self.scaled = scaled
        return scaled
    }
}
