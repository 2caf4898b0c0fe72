import CZlib

/// Checksums and content hashes.
///
/// `crc32` is zlib's CRC-32 (the IEEE polynomial used by gzip and zip), which zlib computes with
/// table-braided or carry-less-multiply code at several GB/s.
public enum Checksum {
    /// zlib takes a 32-bit length, so longer inputs are fed in chunks of this many bytes.
    static let chunkSize = 1 << 30

    /// CRC-32 of `bytes`, continuing from `seed` (the CRC of the preceding bytes; 0 to start).
    /// `crc32(b, seed: crc32(a)) == crc32(a + b)`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = UInt(seed)
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return seed }
        var left = bytes.count
        while left > 0 {
            let n = Swift.min(left, chunkSize)
            crc = UInt(CZlib.crc32(uLong(crc), base, uInt(n)))
            base += n
            left -= n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// CRC-32 of `bytes`, continuing from `seed`.
    public static func crc32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, seed: seed) }
    }

    /// A 64-bit hash of file contents, for change detection (not for security).
    ///
    /// Choice: the CRC-32 of the first half and of the second half are packed into the high and
    /// low 32 bits, and the result is XORed with the length passed through the SplitMix64
    /// finaliser. This runs at zlib's CRC speed (far faster than byte-at-a-time FNV-1a), and
    /// because CRC-32 detects every error burst of up to 32 bits, any edit confined to a 4-byte
    /// window is always detected; any length change almost surely changes the hash. Callers
    /// should still compare size and mtime first and hash only when those are inconclusive.
    public static func contentHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let half = bytes.count / 2
        let first = crc32(UnsafeRawBufferPointer(rebasing: bytes[0 ..< half]))
        let second = crc32(UnsafeRawBufferPointer(rebasing: bytes[half ..< bytes.count]))
        return (UInt64(first) << 32 | UInt64(second)) ^ splitMix64(UInt64(bytes.count))
    }

    /// A 64-bit hash of file contents; see the `UnsafeRawBufferPointer` overload.
    public static func contentHash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { contentHash($0) }
    }

    /// SplitMix64's output function: a bijective 64-bit mixer.
    static func splitMix64(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// An incremental CRC-32 (same values as `Checksum.crc32`).
public struct CRC32: Sendable, Equatable {
    /// The CRC-32 of all bytes passed to `update` so far.
    public private(set) var value: UInt32

    /// Starts an empty checksum (value 0).
    public init() { value = 0 }

    /// Feeds more bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        value = Checksum.crc32(bytes, seed: value)
    }

    /// Feeds more bytes.
    public mutating func update(_ bytes: [UInt8]) {
        value = Checksum.crc32(bytes, seed: value)
    }
}
