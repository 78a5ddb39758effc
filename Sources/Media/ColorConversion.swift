import CYUV

/// Colour conversions and comparisons through libyuv (BT.601 limited range, as VP8 expects).
extension I420Frame {
    /// Converts a BGRA picture to I420 (libyuv ARGBToI420).
    public init(converting source: BGRAFrame) {
        self.init(width: source.width, height: source.height)
        let (width, height, chromaWidth) = (source.width, source.height, chromaWidth)
        source.pixels.withUnsafeBufferPointer { pixels in
            y.withUnsafeMutableBufferPointer { y in
                u.withUnsafeMutableBufferPointer { u in
                    v.withUnsafeMutableBufferPointer { v in
                        _ = ARGBToI420(pixels.baseAddress, Int32(source.stride), y.baseAddress, Int32(width),
                                       u.baseAddress, Int32(chromaWidth), v.baseAddress, Int32(chromaWidth),
                                       Int32(width), Int32(height))
                    }
                }
            }
        }
    }

    /// Peak signal-to-noise ratio against another frame of the same size, over all three planes
    /// (libyuv I420Psnr; 128 dB for identical frames). Nil if the sizes differ.
    public func psnr(against other: I420Frame) -> Double? {
        guard width == other.width, height == other.height else { return nil }
        let (chromaWidth, width, height) = (Int32(chromaWidth), Int32(width), Int32(height))
        return y.withUnsafeBufferPointer { ya in u.withUnsafeBufferPointer { ua in v.withUnsafeBufferPointer { va in
            other.y.withUnsafeBufferPointer { yb in other.u.withUnsafeBufferPointer { ub in
                other.v.withUnsafeBufferPointer { vb in
                    I420Psnr(ya.baseAddress, width, ua.baseAddress, chromaWidth, va.baseAddress, chromaWidth,
                             yb.baseAddress, width, ub.baseAddress, chromaWidth, vb.baseAddress, chromaWidth,
                             width, height)
                }
            } }
        } } }
    }
}

extension BGRAFrame {
    /// Converts an I420 picture to BGRA with opaque alpha (libyuv I420ToARGB).
    public init(converting source: I420Frame) {
        self.init(width: source.width, height: source.height)
        let (width, height, chromaWidth, stride) = (source.width, source.height, source.chromaWidth, stride)
        source.y.withUnsafeBufferPointer { y in
            source.u.withUnsafeBufferPointer { u in
                source.v.withUnsafeBufferPointer { v in
                    pixels.withUnsafeMutableBufferPointer { pixels in
                        _ = I420ToARGB(y.baseAddress, Int32(width), u.baseAddress, Int32(chromaWidth),
                                       v.baseAddress, Int32(chromaWidth), pixels.baseAddress, Int32(stride),
                                       Int32(width), Int32(height))
                    }
                }
            }
        }
    }
}
