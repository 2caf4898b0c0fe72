/// Growable bytes in manually managed memory, for the postings encoder's output: appends
/// without Swift's per-append uniqueness check, and the memory is reused from term to term
/// (`count = 0`). The owner frees it with `deallocate`.
struct RawBytes {
    /// The first byte.
    private(set) var base: UnsafeMutablePointer<UInt8>
    /// Bytes written.
    var count = 0
    /// Bytes that fit without growing.
    private(set) var capacity: Int

    /// Empty bytes with room for `capacity`.
    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    /// Frees the memory (call once).
    func deallocate() { base.deallocate() }

    /// Makes room for `additional` more bytes (doubling), keeping the contents.
    @inline(__always)
    mutating func reserve(_ additional: Int) {
        if count &+ additional > capacity { grow(count &+ additional) }
    }

    private mutating func grow(_ needed: Int) {
        growBuffer(&base, count: count, capacity: &capacity, needed: needed)
    }

    /// Appends one byte.
    @inline(__always)
    mutating func u8(_ value: UInt8) {
        reserve(1)
        base[count] = value
        count &+= 1
    }

    /// Appends a 32-bit little-endian integer.
    @inline(__always)
    mutating func u32LE(_ value: UInt32) { appendFixed(value) }

    /// Appends `value` as an unsigned LEB128 varint (as ``ByteWriter/varint(_:)``).
    @inline(__always)
    mutating func varint(_ value: UInt64) {
        reserve(10)
        var v = value
        while v >= 0x80 {
            base[count] = UInt8(truncatingIfNeeded: v) | 0x80
            count &+= 1
            v &>>= 7
        }
        base[count] = UInt8(truncatingIfNeeded: v)
        count &+= 1
    }

    /// Appends a 16-bit little-endian integer.
    @inline(__always)
    mutating func u16LE(_ value: UInt16) { appendFixed(value) }

    /// Appends a fixed-width integer, little-endian (as ``ByteWriter``'s).
    @inline(__always)
    private mutating func appendFixed<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        reserve(size)
        UnsafeMutableRawPointer(base + count).storeBytes(of: value.littleEndian, as: T.self)
        count &+= size
    }

    /// Appends raw bytes.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: src, byteCount: bytes.count)
        count &+= bytes.count
    }

    /// The bytes written.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Reallocates `buffer` (holding `count` initialised values in `capacity`) to at least `needed`
/// values, doubling, and keeps the contents.
func growBuffer<T>(_ buffer: inout UnsafeMutablePointer<T>, count: Int, capacity: inout Int, needed: Int) {
    var cap = max(capacity, 1)
    while cap < needed { cap &*= 2 }
    let p = UnsafeMutablePointer<T>.allocate(capacity: cap)
    p.moveInitialize(from: buffer, count: count)
    buffer.deallocate()
    buffer = p
    capacity = cap
}
