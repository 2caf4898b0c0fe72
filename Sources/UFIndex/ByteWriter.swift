/// Appends little-endian integers, LEB128 varints and byte strings to a growable buffer.
///
/// The encodings match ``ByteReader``: fixed-width integers are little-endian, `varint` is
/// unsigned LEB128 (7 bits per byte, low group first, high bit = "more follows"), and
/// length-prefixed data is `varint(length) bytes`.
public struct ByteWriter {
    /// The bytes written so far.
    public var buffer: [UInt8]

    /// Creates an empty writer, reserving `capacity` bytes up front.
    public init(capacity: Int = 0) {
        buffer = []
        if capacity > 0 { buffer.reserveCapacity(capacity) }
    }

    /// Number of bytes written so far (also the offset the next write lands at).
    @inlinable public var count: Int { buffer.count }

    /// Reserves room for at least `capacity` bytes in total.
    public mutating func reserveCapacity(_ capacity: Int) {
        buffer.reserveCapacity(capacity)
    }

    /// Appends one byte.
    @inlinable public mutating func u8(_ value: UInt8) {
        buffer.append(value)
    }

    /// Appends a 16-bit little-endian integer.
    @inlinable public mutating func u16LE(_ value: UInt16) { appendFixed(value) }

    /// Appends a 32-bit little-endian integer.
    @inlinable public mutating func u32LE(_ value: UInt32) { appendFixed(value) }

    /// Appends a 64-bit little-endian integer.
    @inlinable public mutating func u64LE(_ value: UInt64) { appendFixed(value) }

    /// Appends a signed 64-bit little-endian integer (two's complement).
    @inlinable public mutating func i64LE(_ value: Int64) { appendFixed(value) }

    @inlinable @inline(__always)
    mutating func appendFixed<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    /// Appends `value` as an unsigned LEB128 varint (1 to 10 bytes).
    @inlinable public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v &>>= 7
        }
        buffer.append(UInt8(truncatingIfNeeded: v))
    }

    /// Number of bytes `varint(value)` writes.
    @inlinable public static func varintSize(_ value: UInt64) -> Int {
        let bits = 64 &- value.leadingZeroBitCount
        return bits == 0 ? 1 : (bits &+ 6) / 7
    }

    /// Appends raw bytes.
    public mutating func bytes(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// Appends raw bytes.
    public mutating func bytes<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// Appends `varint(bytes.count)` followed by the bytes.
    public mutating func lengthPrefixed(_ bytes: UnsafeRawBufferPointer) {
        varint(UInt64(bytes.count))
        buffer.append(contentsOf: bytes)
    }

    /// Appends `varint(bytes.count)` followed by the bytes.
    public mutating func lengthPrefixed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        varint(UInt64(bytes.count))
        buffer.append(contentsOf: bytes)
    }

    /// Appends a string as length-prefixed UTF-8.
    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { lengthPrefixed(UnsafeRawBufferPointer($0)) }
    }

    /// Overwrites 4 bytes at `offset` (already written) with `value`, little-endian; for
    /// back-patching lengths and offsets. Traps if the range was not written (programmer error).
    public mutating func setU32LE(_ value: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset <= buffer.count - 4, "setU32LE outside written bytes")
        withUnsafeBytes(of: value.littleEndian) { src in
            for i in 0..<4 { buffer[offset + i] = src[i] }
        }
    }

    /// Overwrites 8 bytes at `offset` (already written) with `value`, little-endian; for
    /// back-patching lengths and offsets. Traps if the range was not written (programmer error).
    public mutating func setU64LE(_ value: UInt64, at offset: Int) {
        precondition(offset >= 0 && offset <= buffer.count - 8, "setU64LE outside written bytes")
        withUnsafeBytes(of: value.littleEndian) { src in
            for i in 0..<8 { buffer[offset + i] = src[i] }
        }
    }
}
