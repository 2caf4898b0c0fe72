import CZstd

/// Zstandard compression of whole blocks (libzstd's one-shot API).
public enum Zstd {
    /// Largest decompressed size a reader will allocate; larger claims are treated as corruption.
    public static let maxDecompressedSize = 1 << 30

    /// Default compression level for stored documents.
    public static let defaultLevel: Int32 = 3

    /// Compresses `bytes` into one zstd frame (which records the content size).
    public static func compress(_ bytes: UnsafeRawBufferPointer, level: Int32 = defaultLevel) throws -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        guard ZSTD_isError(bound) == 0 else {
            throw IndexError.badInput(path: "(zstd)", reason: "cannot compress \(bytes.count) bytes: \(errorName(bound))")
        }
        var failure: Int?
        let out = [UInt8](unsafeUninitializedCapacity: Swift.max(bound, 1)) { dst, written in
            let n = ZSTD_compress(dst.baseAddress, dst.count, bytes.baseAddress, bytes.count, level)
            if ZSTD_isError(n) != 0 {
                failure = n
                written = 0
            } else {
                written = n
            }
        }
        if let failure {
            throw IndexError.badInput(path: "(zstd)", reason: "compression failed: \(errorName(failure))")
        }
        return out
    }

    /// Compresses `bytes` into one zstd frame.
    public static func compress(_ bytes: [UInt8], level: Int32 = defaultLevel) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try compress($0, level: level) }
    }

    /// Decompresses `bytes`, which must decode to exactly `expectedSize` bytes (recorded by the
    /// writer). Throws `IndexError.corrupt(file:detail:)` naming `file` for invalid frames, size
    /// mismatches, and `expectedSize` outside `0...maxDecompressedSize`.
    public static func decompress(_ bytes: UnsafeRawBufferPointer, expectedSize: Int, file: String) throws -> [UInt8] {
        guard expectedSize >= 0 && expectedSize <= maxDecompressedSize else {
            throw IndexError.corrupt(file: file, detail: "implausible decompressed size \(expectedSize)")
        }
        // One spare byte lets an over-long frame decode far enough to be reported as a size mismatch
        // and keeps the destination pointer non-null for empty content.
        var result: Int = 0
        let out = [UInt8](unsafeUninitializedCapacity: expectedSize + 1) { dst, written in
            result = ZSTD_decompress(dst.baseAddress, dst.count, bytes.baseAddress, bytes.count)
            written = ZSTD_isError(result) != 0 ? 0 : result
        }
        if ZSTD_isError(result) != 0 {
            throw IndexError.corrupt(file: file, detail: "zstd block does not decompress: \(errorName(result))")
        }
        guard result == expectedSize else {
            throw IndexError.corrupt(file: file, detail: "zstd block decompressed to \(result) bytes, expected \(expectedSize)")
        }
        return out
    }

    /// Decompresses `bytes` to exactly `expectedSize` bytes.
    public static func decompress(_ bytes: [UInt8], expectedSize: Int, file: String) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try decompress($0, expectedSize: expectedSize, file: file) }
    }

    static func errorName(_ code: Int) -> String {
        guard let name = ZSTD_getErrorName(code) else { return "error \(code)" }
        return String(cString: name)
    }
}
