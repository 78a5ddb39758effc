import Media
import Synchronization

/// The pictures sent lately, by frame number, so an echoed picture can be compared with its source
/// (PSNR). Bounded: older pictures are forgotten.
final class SentPictures: Sendable {
    private let pictures = Mutex<[Int: I420Frame]>([:])
    let capacity: Int

    init(capacity: Int = 150) { self.capacity = capacity }

    func record(_ number: Int, _ picture: I420Frame) {
        pictures.withLock { pictures in
            pictures[number & 0xFFFF] = picture
            pictures.removeValue(forKey: (number - capacity) & 0xFFFF)
        }
    }

    /// The source of a decoded picture, found by the frame stamp it carries.
    func source(of decoded: I420Frame) -> I420Frame? {
        guard let number = FrameStamp.read(decoded) else { return nil }
        return pictures.withLock { $0[number] }
    }
}
