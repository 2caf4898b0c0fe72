/// A bounds-checked read cursor over bytes that came from disk (usually a ``MappedFile``).
///
/// Every read checks the remaining length first and throws `IndexError.corrupt(file:detail:)`
/// instead of trapping, so corrupt or truncated files can never crash a reader. Offsets are
/// relative to the start of ``buffer``. The reader does not own the memory: keep the backing
/// ``MappedFile`` (or array) alive while reading.
///
/// The fixed-width and varint decoders are `@inlinable`; the single-byte varint case (the common
/// one for postings deltas) is a compare and a load.
public struct ByteReader {
    /// The bytes this reader may access.
    public let buffer: UnsafeRawBufferPointer
    /// File name used in corruption errors.
    public let file: String
    /// Current read position, always in `0...buffer.count`.
    @usableFromInline internal var position: Int

    /// Creates a reader over `buffer`, positioned at its start.
    @inlinable public init(_ buffer: UnsafeRawBufferPointer, file: String) {
        self.buffer = buffer
        self.file = file
        self.position = 0
    }

    /// Current position, in bytes from the start of ``buffer``. Change it with ``seek(to:)``.
    @inlinable public var offset: Int { position }

    /// Total number of bytes in the reader's range.
    @inlinable public var count: Int { buffer.count }

    /// Bytes left after the current position.
    @inlinable public var remaining: Int { buffer.count &- position }

    /// True when no bytes remain.
    @inlinable public var isAtEnd: Bool { position >= buffer.count }

    /// Moves to `offset`, which must lie within `0...count`.
    public mutating func seek(to offset: Int) throws {
        guard offset >= 0 && offset <= buffer.count else {
            throw corrupt("offset \(offset) outside 0...\(buffer.count)")
        }
        position = offset
    }

    /// Moves to `offset` (a value read from disk), which must lie within `0...count`.
    public mutating func seek(to offset: UInt64) throws {
        guard let o = Int(exactly: offset) else { throw corrupt("offset \(offset) outside 0...\(buffer.count)") }
        try seek(to: o)
    }

    /// Advances by `count` bytes, which must not exceed ``remaining``.
    public mutating func skip(_ count: Int) throws {
        guard count >= 0 && count <= remaining else { throw truncated(count, "skip") }
        position &+= count
    }

    // MARK: Fixed-width integers

    /// Reads one byte.
    @inlinable public mutating func u8() throws -> UInt8 {
        let p = position
        guard p < buffer.count else { throw truncated(1, "u8") }
        position = p &+ 1
        return buffer[p]
    }

    /// Reads a 16-bit little-endian integer.
    @inlinable public mutating func u16LE() throws -> UInt16 { try fixed(UInt16.self) }

    /// Reads a 32-bit little-endian integer.
    @inlinable public mutating func u32LE() throws -> UInt32 { try fixed(UInt32.self) }

    /// Reads a 64-bit little-endian integer.
    @inlinable public mutating func u64LE() throws -> UInt64 { try fixed(UInt64.self) }

    /// Reads a signed 64-bit little-endian integer.
    @inlinable public mutating func i64LE() throws -> Int64 { try fixed(Int64.self) }

    @inlinable @inline(__always)
    mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        let p = position
        guard size <= buffer.count &- p else { throw truncated(size, "\(T.self)") }
        position = p &+ size
        return T(littleEndian: buffer.loadUnaligned(fromByteOffset: p, as: T.self))
    }

    // MARK: Varints

    /// Reads an unsigned LEB128 varint. Throws on truncation, on encodings longer than 10 bytes,
    /// and on values that do not fit in 64 bits.
    @inlinable public mutating func varint() throws -> UInt64 {
        let p = position
        if _fastPath(p < buffer.count) {
            let b = buffer[p]
            if b < 0x80 {
                position = p &+ 1
                return UInt64(b)
            }
        }
        return try varintSlow()
    }

    @usableFromInline
    mutating func varintSlow() throws -> UInt64 {
        let start = position
        let end = buffer.count
        var p = start
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<10 {
            guard p < end else { throw corrupt("truncated varint at offset \(start)") }
            let b = buffer[p]
            p &+= 1
            if index == 9 {
                // The 10th byte holds bit 63 only; anything else overflows or continues past 10 bytes.
                guard b <= 1 else { throw corrupt("overlong varint at offset \(start)") }
                position = p
                return result | (UInt64(b) &<< 63)
            }
            result |= UInt64(b & 0x7f) &<< shift
            if b < 0x80 {
                position = p
                return result
            }
            shift &+= 7
        }
        throw corrupt("overlong varint at offset \(start)")
    }

    /// Reads a varint that must fit in a `UInt32`.
    @inlinable public mutating func varint32() throws -> UInt32 {
        let v = try varint()
        guard v <= UInt64(UInt32.max) else { throw tooLarge(v, "UInt32") }
        return UInt32(truncatingIfNeeded: v)
    }

    /// Reads a varint that must fit in a non-negative `Int` (counts, lengths, offsets).
    @inlinable public mutating func varintInt() throws -> Int {
        let v = try varint()
        guard v <= UInt64(Int.max) else { throw tooLarge(v, "Int") }
        return Int(truncatingIfNeeded: v)
    }

    // MARK: Byte ranges

    /// Returns the next `count` bytes (a view into the same memory) and advances past them.
    @inlinable public mutating func bytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        let p = position
        guard count >= 0 && count <= buffer.count &- p else { throw truncated(count, "bytes") }
        position = p &+ count
        return UnsafeRawBufferPointer(rebasing: buffer[p ..< p &+ count])
    }

    /// Reads `varint(length)` followed by that many bytes.
    @inlinable public mutating func lengthPrefixed() throws -> UnsafeRawBufferPointer {
        let start = position
        let length = try varint()
        let left = buffer.count &- position
        guard length <= UInt64(left) else {
            position = start
            throw corrupt("length \(length) at offset \(start) exceeds the \(left) bytes left")
        }
        return try bytes(Int(truncatingIfNeeded: length))
    }

    /// Reads a length-prefixed string, which must be valid UTF-8.
    public mutating func string() throws -> String {
        let start = position
        let raw = try lengthPrefixed()
        let s = String(decoding: raw, as: UTF8.self)
        guard s.utf8.elementsEqual(raw) else { throw corrupt("invalid UTF-8 in string at offset \(start)") }
        return s
    }

    /// A reader over `length` bytes starting at `offset` (relative to this reader's ``buffer``),
    /// positioned at its start. Throws unless the whole range lies inside this reader.
    public func sub(offset: Int, length: Int) throws -> ByteReader {
        guard offset >= 0, length >= 0, offset <= buffer.count, length <= buffer.count - offset else {
            throw corrupt("range \(offset)+\(length) outside 0...\(buffer.count)")
        }
        return ByteReader(UnsafeRawBufferPointer(rebasing: buffer[offset ..< offset + length]), file: file)
    }

    /// A reader over `length` bytes at `offset`, both as read from disk; see the `Int` overload.
    public func sub(offset: UInt64, length: UInt64) throws -> ByteReader {
        guard let o = Int(exactly: offset), let l = Int(exactly: length) else {
            throw corrupt("range \(offset)+\(length) outside 0...\(buffer.count)")
        }
        return try sub(offset: o, length: l)
    }

    // MARK: Errors

    /// A corruption error naming this reader's file.
    public func corrupt(_ detail: String) -> IndexError {
        .corrupt(file: file, detail: detail)
    }

    @usableFromInline
    func truncated(_ wanted: Int, _ what: String) -> IndexError {
        corrupt("truncated data: \(what) needs \(wanted) bytes at offset \(position), \(remaining) left")
    }

    @usableFromInline
    func tooLarge(_ value: UInt64, _ type: String) -> IndexError {
        corrupt("value \(value) before offset \(position) does not fit in \(type)")
    }
}
