/// A growable array of plain values in its own anonymous mapping (`Sys.mapAnonymous`), for the
/// indexer's large buffers: the occurrence log and its sorted copy. The mapping reserves the
/// whole expected size up front (only touched pages cost memory), so the log never moves while
/// it grows (a Swift array doubled and copied it, touching every page twice), and one segment's
/// buffers are handed to the next (`SegmentBuffer.recycle`). Hot loops take `base` and write
/// through it, then publish with `count`.
final class PagedArray<Element: BitwiseCopyable> {
    /// The first element.
    private(set) var base: UnsafeMutablePointer<Element>
    /// Elements in use.
    var count = 0
    /// Elements that fit without growing.
    private(set) var capacity: Int
    private var mappedBytes: Int  // 0: allocated on the heap (the system refused a mapping)

    /// An empty array with room for `capacity` elements (only touched pages use memory).
    init(capacity: Int) {
        let cap = max(capacity, 1024)
        self.capacity = cap
        (base, mappedBytes) = Self.allocate(cap)
    }

    deinit { Self.free(base, mappedBytes) }

    private static func allocate(_ capacity: Int) -> (UnsafeMutablePointer<Element>, Int) {
        let bytes = capacity * MemoryLayout<Element>.stride
        if let p = Sys.mapAnonymous(bytes, hugePages: false) {
            return (p.bindMemory(to: Element.self, capacity: capacity), bytes)
        }
        return (.allocate(capacity: capacity), 0)
    }

    private static func free(_ p: UnsafeMutablePointer<Element>, _ mappedBytes: Int) {
        if mappedBytes > 0 { Sys.unmapAnonymous(UnsafeMutableRawPointer(p), length: mappedBytes) } else { p.deallocate() }
    }

    /// Makes room for `additional` more elements (doubling), keeping the contents.
    @inline(__always)
    func reserve(_ additional: Int) {
        if count + additional > capacity { grow(count + additional) }
    }

    private func grow(_ needed: Int) {
        var cap = capacity
        while cap < needed { cap *= 2 }
        let (p, m) = Self.allocate(cap)
        p.update(from: base, count: count)
        Self.free(base, mappedBytes)
        base = p
        mappedBytes = m
        capacity = cap
    }

    /// Appends one element.
    @inline(__always)
    func append(_ e: Element) {
        reserve(1)
        base[count] = e
        count += 1
    }

    /// The elements in use.
    var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }
}
