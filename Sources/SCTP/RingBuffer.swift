/// A growable first-in first-out buffer with O(1) append, removal at the front and indexed access,
/// used for the in-flight queue (indexed by TSN offset) and the per-stream send queues. Its capacity
/// is always a power of two, so positions wrap with a mask.
struct RingBuffer<Element> {
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    var first: Element? { count == 0 ? nil : storage[head] }

    mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head + count) & (storage.count - 1)] = element
        count += 1
    }

    @discardableResult
    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return element
    }

    /// The element `index` places from the front; `index` must be in 0..<count.
    subscript(index: Int) -> Element {
        get { storage[(head + index) & (storage.count - 1)]! }
        set { storage[(head + index) & (storage.count - 1)] = newValue }
        // In place: the element is moved out and back, so its buffers are not copied on write.
        _modify {
            let position = (head + index) & (storage.count - 1)
            var element = storage[position]!
            storage[position] = nil
            defer { storage[position] = element }
            yield &element
        }
    }

    mutating func removeAll() {
        storage = []
        head = 0
        count = 0
    }

    private mutating func grow() {
        var larger = [Element?](repeating: nil, count: Swift.max(16, storage.count * 2))
        for index in 0..<count { larger[index] = storage[(head + index) & (storage.count - 1)] }
        storage = larger
        head = 0
    }
}

/// Serial number arithmetic on 32-bit TSNs and 16-bit SSNs (RFC 9260 §1.6, RFC 1982).
@inline(__always) func tsnLess(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }
@inline(__always) func tsnLessOrEqual(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) <= 0 }
@inline(__always) func ssnLessOrEqual(_ a: UInt16, _ b: UInt16) -> Bool { Int16(bitPattern: a &- b) <= 0 }
