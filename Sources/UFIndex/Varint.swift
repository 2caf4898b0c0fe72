/// LEB128 varints on byte arrays, for building postings in memory.
extension Array where Element == UInt8 {
    /// Appends `value` as an unsigned LEB128 varint.
    @inlinable
    public mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }
}

/// Decoding varints from trusted in-memory buffers (the segment being built).
enum MemVarint {
    /// Reads a varint at `i`, advancing it. The buffer is one this process wrote.
    @inline(__always)
    static func read(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = b[i]
            i += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }
}
