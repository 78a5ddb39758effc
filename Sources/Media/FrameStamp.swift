/// A frame number painted into the picture, so that a frame that went through a codec (or someone
/// else's echo, which may re-encode and re-time it) can be matched to the one that was sent.
///
/// The same layout as `Interop/video_pattern.py`: the top 16 luma rows hold 20 blocks of 16×16
/// pixels, 16 bits of number then 4 check bits (the sum of the number's nibbles, mod 16), black
/// (16) for 0 and white (235) for 1. Blocks on VP8's 16×16 macroblock grid survive lossy coding.
public enum FrameStamp {
    static let block = 16
    static let numberBits = 16
    static let checkBits = 4
    static let blocks = numberBits + checkBits
    /// Pictures narrower than this cannot carry a stamp.
    public static let minimumWidth = blocks * block
    static let black: UInt8 = 16
    static let white: UInt8 = 235

    static func check(_ number: Int) -> Int { (number + (number >> 4) + (number >> 8) + (number >> 12)) & 0xF }

    /// Paints `number` (mod 2^16) into the picture; a picture narrower than `minimumWidth` or lower
    /// than a block is left as it is.
    public static func paint(_ number: Int, into picture: inout I420Frame) {
        guard picture.width >= minimumWidth, picture.height >= block else { return }
        let value = number & (1 << numberBits - 1)
        let word = value << checkBits | check(value)
        let width = picture.width
        picture.y.withUnsafeMutableBufferPointer { y in
            for index in 0..<blocks {
                let bit = (word >> (blocks - 1 - index)) & 1
                for row in 0..<block {
                    let start = row * width + index * block
                    y[start..<start + block].update(repeating: bit == 1 ? white : black)
                }
            }
        }
    }

    /// The number painted by `paint`, or nil when there is none (the check bits disagree).
    public static func read(_ picture: I420Frame) -> Int? {
        guard picture.width >= minimumWidth, picture.height >= block else { return nil }
        var word = 0
        for index in 0..<blocks {
            // The centre 8×8 of each block: its edges may bleed into the neighbours after coding.
            var total = 0
            for row in 4..<12 {
                let start = row * picture.width + index * block + 4
                for column in start..<start + 8 { total += Int(picture.y[column]) }
            }
            word = word << 1 | (total / 64 > 128 ? 1 : 0)
        }
        let number = word >> checkBits
        return word & 0xF == check(number) ? number : nil
    }
}
