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
        try checkPlausible(expectedSize, file: file)
        // One spare byte lets an over-long frame decode far enough to be reported as a size mismatch
        // and keeps the destination pointer non-null for empty content.
        var result: Int = 0
        let out = [UInt8](unsafeUninitializedCapacity: expectedSize + 1) { dst, written in
            result = ZSTD_decompress(dst.baseAddress, dst.count, bytes.baseAddress, bytes.count)
            written = ZSTD_isError(result) != 0 ? 0 : result
        }
        try checkDecompressed(result, expectedSize: expectedSize, file: file)
        return out
    }

    /// Decompresses `bytes` to exactly `expectedSize` bytes.
    public static func decompress(_ bytes: [UInt8], expectedSize: Int, file: String) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try decompress($0, expectedSize: expectedSize, file: file) }
    }

    /// Throws `IndexError.corrupt` naming `file` for a decompressed size outside `0...maxDecompressedSize`.
    static func checkPlausible(_ size: Int, file: String) throws {
        guard size >= 0 && size <= maxDecompressedSize else {
            throw IndexError.corrupt(file: file, detail: "implausible decompressed size \(size)")
        }
    }

    /// Throws `IndexError.corrupt` naming `file` unless a decompression returned exactly `expectedSize` bytes.
    static func checkDecompressed(_ result: Int, expectedSize: Int, file: String) throws {
        if ZSTD_isError(result) != 0 {
            throw IndexError.corrupt(file: file, detail: "zstd block does not decompress: \(errorName(result))")
        }
        guard result == expectedSize else {
            throw IndexError.corrupt(file: file, detail: "zstd block decompressed to \(result) bytes, expected \(expectedSize)")
        }
    }

    static func errorName(_ code: Int) -> String {
        guard let name = ZSTD_getErrorName(code) else { return "error \(code)" }
        return String(cString: name)
    }
}

/// Zstandard dictionaries: training, and compression/decompression contexts bound to one.
extension Zstd {
    /// Trains a dictionary of at most `capacity` bytes on `samples` (the concatenated samples,
    /// each `sizes[i]` bytes) with fastCover (fixed parameters, no parameter search: about 40 ms
    /// for 4 MB of samples). Returns nil when libzstd cannot make one (too few or too small samples).
    static func trainDictionary(samples: UnsafeRawBufferPointer, sizes: [Int], capacity: Int, level: Int32) -> [UInt8]? {
        guard capacity >= 1024, !sizes.isEmpty, sizes.reduce(0, +) <= samples.count else { return nil }
        var p = ZDICT_fastCover_params_t()
        p.k = 1000
        p.d = 8
        p.f = 20
        p.steps = 0
        p.accel = 1
        p.splitPoint = 1.0
        p.zParams.compressionLevel = level
        p.zParams.notificationLevel = 0
        var failed = false
        let dict = [UInt8](unsafeUninitializedCapacity: capacity) { dst, written in
            let n = sizes.withUnsafeBufferPointer { s in
                ZDICT_trainFromBuffer_fastCover(dst.baseAddress, capacity, samples.baseAddress, s.baseAddress, UInt32(s.count), p)
            }
            failed = ZDICT_isError(n) != 0
            written = failed ? 0 : n
        }
        return failed || dict.isEmpty ? nil : dict
    }

    /// A compression context, optionally bound to a dictionary (digested once, reused for every frame).
    final class Compressor {
        private let cctx: OpaquePointer
        private let cdict: OpaquePointer?
        let level: Int32

        /// A context compressing at `level`, with zstd's `minMatch` and `searchLog` for that
        /// level replaced when given.
        init(dictionary: [UInt8]?, level: Int32, minMatch: Int32? = nil, searchLog: Int32? = nil) throws {
            guard let c = ZSTD_createCCtx() else { throw IndexError.badInput(path: "(zstd)", reason: "cannot create a compression context") }
            cctx = c
            self.level = level
            if let d = dictionary {
                // The dictionary is digested with the level's parameters as overridden.
                guard let params = ZSTD_createCCtxParams() else {
                    ZSTD_freeCCtx(c)
                    throw IndexError.badInput(path: "(zstd)", reason: "cannot create compression parameters")
                }
                defer { ZSTD_freeCCtxParams(params) }
                ZSTD_CCtxParams_init(params, level)
                if let minMatch { ZSTD_CCtxParams_setParameter(params, ZSTD_c_minMatch, minMatch) }
                if let searchLog { ZSTD_CCtxParams_setParameter(params, ZSTD_c_searchLog, searchLog) }
                let digested = d.withUnsafeBytes {
                    ZSTD_createCDict_advanced2($0.baseAddress, $0.count, ZSTD_dlm_byCopy, ZSTD_dct_auto, params,
                                               ZSTD_customMem(customAlloc: nil, customFree: nil, opaque: nil))
                }
                guard let cd = digested else {
                    ZSTD_freeCCtx(c)
                    throw IndexError.badInput(path: "(zstd)", reason: "cannot digest a dictionary")
                }
                cdict = cd
                // Always search the dictionary's tables in place: by default, inputs above 16 KiB
                // copy them (a few MB) into the context first, which makes small frames 3x slower.
                ZSTD_CCtx_refCDict(c, cd)
                ZSTD_CCtx_setParameter(c, ZSTD_c_experimentalParam4 /* ZSTD_c_forceAttachDict */, Int32(ZSTD_dictForceAttach.rawValue))
            } else {
                cdict = nil
                ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)
                if let minMatch { ZSTD_CCtx_setParameter(c, ZSTD_c_minMatch, minMatch) }
                if let searchLog { ZSTD_CCtx_setParameter(c, ZSTD_c_searchLog, searchLog) }
            }
        }

        deinit {
            ZSTD_freeCCtx(cctx)
            if let cdict { ZSTD_freeCDict(cdict) }
        }

        /// `bytes` as one zstd frame (which records the content size and the dictionary's id).
        func compress(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
            let bound = ZSTD_compressBound(bytes.count)
            var failure: Int?
            let out = [UInt8](unsafeUninitializedCapacity: Swift.max(bound, 1)) { dst, written in
                let n = ZSTD_compress2(cctx, dst.baseAddress, dst.count, bytes.baseAddress, bytes.count)
                if ZSTD_isError(n) != 0 { failure = n; written = 0 } else { written = n }
            }
            if let failure { throw IndexError.badInput(path: "(zstd)", reason: "compression failed: \(errorName(failure))") }
            return out
        }
    }
}
