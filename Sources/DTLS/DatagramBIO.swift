import COpenSSL
import CTandemShims
import Glibc

/// The datagrams between OpenSSL and the endpoint's owner, reached from the custom BIO's C callbacks.
///
/// Writes: during a handshake OpenSSL puts a buffering BIO in front of ours and hands over a flight's records
/// in batches on flush; application data arrives one record per write. The channel cuts what it is given at
/// DTLS record boundaries (RFC 6347 §4.1: 13-byte header with a 2-byte length) and packs whole records into
/// datagrams of at most `mtu` bytes (RFC 6347 §4.1.1 allows several records per datagram). A memory BIO
/// would instead merge everything into one byte stream. A single record larger than `mtu` (OpenSSL keeps
/// records within the MTU, so only a misconfiguration does this) still leaves whole, in its own datagram.
/// Reads: each `BIO_read` returns exactly one received datagram, as a datagram socket would.
final class DatagramChannel {
    static let recordHeaderLength = 13

    let mtu: Int
    private(set) var incoming: [[UInt8]] = []
    private(set) var outgoing: [[UInt8]] = []
    /// Whole records packed for the next datagram.
    private var batch: [UInt8] = []
    /// Written bytes that do not yet form a whole record.
    private var unframed: [UInt8] = []
    /// Where OpenSSL 3.0 keeps its retransmission deadline; it hands this address to the read BIO with
    /// `BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT` whenever it starts or stops its timer (for socket receive timeouts).
    private(set) var openSSLDeadline: UnsafeMutablePointer<timeval>?

    init(mtu: Int) { self.mtu = mtu }

    func receive(_ datagram: [UInt8]) { incoming.append(datagram) }

    func popIncoming() -> [UInt8]? { incoming.isEmpty ? nil : incoming.removeFirst() }

    func popOutgoing() -> [UInt8]? { outgoing.isEmpty ? nil : outgoing.removeFirst() }

    func discardIncoming() { incoming.removeAll() }

    func write(_ bytes: UnsafeRawBufferPointer) {
        unframed.append(contentsOf: bytes)
        var start = 0
        while unframed.count - start >= Self.recordHeaderLength {
            let length = Int(unframed[start + 11]) << 8 | Int(unframed[start + 12])
            let end = start + Self.recordHeaderLength + length
            guard end <= unframed.count else { break }
            pack(record: unframed[start..<end])
            start = end
        }
        unframed.removeFirst(start)
    }

    private func pack(record: ArraySlice<UInt8>) {
        if !batch.isEmpty && batch.count + record.count > mtu { emitBatch() }
        batch.append(contentsOf: record)
    }

    /// Sends what was written so far; called on `BIO_flush` and after every call into OpenSSL.
    func flush() {
        if !unframed.isEmpty {
            // Not a whole record (OpenSSL never writes such); pass it on unchanged rather than hold it back.
            emitBatch()
            outgoing.append(unframed)
            unframed.removeAll()
        }
        emitBatch()
    }

    private func emitBatch() {
        guard !batch.isEmpty else { return }
        outgoing.append(batch)
        batch.removeAll(keepingCapacity: true)
    }

    /// Whether OpenSSL's retransmission timer runs, i.e. a flight of ours awaits an answer.
    var openSSLTimerRunning: Bool {
        guard let deadline = openSSLDeadline?.pointee else { return false }
        return deadline.tv_sec != 0 || deadline.tv_usec != 0
    }

    /// Moves OpenSSL's running retransmission deadline into the past, so that the next
    /// `DTLSv1_handle_timeout` retransmits. OpenSSL's timer otherwise reads the wall clock, which a sans-IO
    /// core must not depend on; the endpoint keeps the real schedule in virtual time.
    func expireOpenSSLTimer() -> Bool {
        guard openSSLTimerRunning, let deadline = openSSLDeadline else { return false }
        deadline.pointee = timeval(tv_sec: 0, tv_usec: 1)
        return true
    }

    func noteOpenSSLDeadline(_ pointer: UnsafeMutableRawPointer?) {
        openSSLDeadline = pointer?.assumingMemoryBound(to: timeval.self)
    }
}

/// A source/sink BIO whose callbacks move bytes through a `DatagramChannel`. One instance serves as both read
/// and write BIO of one `SSL`; the method table belongs to the endpoint (no process-wide state).
final class DatagramBIO {
    private let method: OpaquePointer  // BIO_METHOD
    /// The BIO; ownership passes to the `SSL` with `SSL_set_bio`.
    let bio: OpaquePointer

    init(channel: DatagramChannel) throws(DTLSError) {
        guard let method = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "tandem-datagram") else {
            throw .openSSL(OpenSSLErrorQueue.drain(fallback: "BIO_meth_new failed"))
        }
        BIO_meth_set_write(method, datagramWrite)
        BIO_meth_set_read(method, datagramRead)
        BIO_meth_set_ctrl(method, datagramControl)
        guard let bio = BIO_new(method) else {
            BIO_meth_free(method)
            throw .openSSL(OpenSSLErrorQueue.drain(fallback: "BIO_new failed"))
        }
        BIO_set_data(bio, Unmanaged.passUnretained(channel).toOpaque())
        BIO_set_init(bio, 1)
        self.method = method
        self.bio = bio
    }

    /// Frees the method table; call after the `SSL` (and with it the BIO) is freed.
    func freeMethod() { BIO_meth_free(method) }
}

private func channel(of bio: OpaquePointer?) -> DatagramChannel? {
    guard let bio, let data = BIO_get_data(bio) else { return nil }
    return Unmanaged<DatagramChannel>.fromOpaque(data).takeUnretainedValue()
}

private func datagramWrite(_ bio: OpaquePointer?, _ bytes: UnsafePointer<CChar>?, _ count: Int32) -> Int32 {
    guard let channel = channel(of: bio), let bytes, count >= 0 else { return -1 }
    tandem_bio_clear_retry_flags(bio)
    channel.write(UnsafeRawBufferPointer(start: bytes, count: Int(count)))
    return count
}

private func datagramRead(_ bio: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int32) -> Int32 {
    guard let channel = channel(of: bio), let buffer, capacity > 0 else { return -1 }
    tandem_bio_clear_retry_flags(bio)
    guard let datagram = channel.popIncoming() else {
        tandem_bio_set_retry_read(bio)
        return -1
    }
    // A datagram larger than the read buffer is truncated, as recvfrom would; OpenSSL then drops the record.
    let count = min(datagram.count, Int(capacity))
    datagram.withUnsafeBytes { source in
        guard let start = source.baseAddress, count > 0 else { return }
        UnsafeMutableRawPointer(buffer).copyMemory(from: start, byteCount: count)
    }
    return Int32(count)
}

private func datagramControl(_ bio: OpaquePointer?, _ command: Int32, _ argument: Int, _ pointer: UnsafeMutableRawPointer?) -> Int {
    guard let channel = channel(of: bio) else { return 0 }
    switch command {
    case BIO_CTRL_FLUSH:
        channel.flush()
        return 1
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        channel.noteOpenSSLDeadline(pointer)
        return 1
    case BIO_CTRL_PENDING:
        return channel.incoming.first?.count ?? 0
    default:
        // WPENDING, DGRAM_GET_MTU_OVERHEAD (the MTU given is already the UDP payload size), PUSH/POP, …
        return 0
    }
}
