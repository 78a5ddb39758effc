import CX11
import CX11Shims
#if canImport(Glibc)
import Glibc
#endif

/// An XImage whose pixels live in a System V shared-memory segment that the X server writes
/// into directly (XShmGetImage in "MIT-SHM — The MIT Shared Memory Extension", libXext's
/// specs/mit-shm.xml), made once for a capture size and reused for every frame.
final class SharedMemoryImage {
    let image: UnsafeMutablePointer<XImage>
    private let connection: X11Connection
    /// Xlib keeps a pointer to this (image->obdata), so it lives at a fixed heap address.
    private let segment: UnsafeMutablePointer<XShmSegmentInfo>

    /// Nil when the server lacks MIT-SHM or cannot attach the segment (a remote server, or one
    /// in another IPC namespace): the caller then falls back to XGetImage.
    init?(connection: X11Connection, screen: Int, width: Int, height: Int) {
        let display = connection.display
        guard XShmQueryExtension(display) != 0 else { return nil }
        let segment = UnsafeMutablePointer<XShmSegmentInfo>.allocate(capacity: 1)
        segment.initialize(to: XShmSegmentInfo())
        guard let image = XShmCreateImage(display, tandem_x11_default_visual(display, Int32(screen)),
                                          UInt32(tandem_x11_default_depth(display, Int32(screen))), ZPixmap, nil,
                                          segment, UInt32(width), UInt32(height)) else {
            segment.deallocate()
            return nil
        }
        let shmid = tandem_x11_shm_create(Int(image.pointee.bytes_per_line) * height)
        let address = shmid >= 0 ? shmat(shmid, nil, 0) : nil
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            if shmid >= 0 { shmctl(shmid, IPC_RMID, nil) }
            tandem_x11_destroy_image(image)
            segment.deallocate()
            return nil
        }
        segment.pointee.shmid = shmid
        segment.pointee.shmaddr = address.assumingMemoryBound(to: CChar.self)
        segment.pointee.readOnly = False
        image.pointee.data = segment.pointee.shmaddr
        let attached = connection.withErrorsTrapped { XShmAttach(display, segment) }
        // Marked for removal now: the kernel frees it once both processes have detached.
        shmctl(shmid, IPC_RMID, nil)
        guard attached.result != 0, attached.error == nil else {
            shmdt(address)
            image.pointee.data = nil
            tandem_x11_destroy_image(image)
            segment.deallocate()
            return nil
        }
        self.image = image
        self.segment = segment
        self.connection = connection
    }

    /// Copies the rectangle at (x, y) of `drawable` into `image`; the X error's text on failure.
    func read(from drawable: Drawable, x: Int, y: Int) -> String? {
        let read = connection.withErrorsTrapped {
            XShmGetImage(connection.display, drawable, image, Int32(x), Int32(y), tandem_x11_all_planes())
        }
        return read.error ?? (read.result == 0 ? "XShmGetImage failed" : nil)
    }

    deinit {
        XShmDetach(connection.display, segment)
        XSync(connection.display, False)
        shmdt(segment.pointee.shmaddr)
        image.pointee.data = nil
        tandem_x11_destroy_image(image)
        segment.deallocate()
    }
}
