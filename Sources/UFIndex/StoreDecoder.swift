import CZstd

/// The zstd state a store reader needs: one digested dictionary per dictionary (made on first
/// use, referencing the mapped bytes) and a pool of decompression contexts with their output
/// buffers, so that concurrent readers (the server) do not wait for each other and a document
/// costs no allocation. Freed with the segment reader.
final class StoreDecoder: @unchecked Sendable {
    private let lock = Lock()
    private var ddicts: [OpaquePointer?]
    private var contexts: [Context] = []

    init(dictCount: Int) { ddicts = Array(repeating: nil, count: dictCount) }

    deinit {
        for d in ddicts { if let d { ZSTD_freeDDict(d) } }
    }

    /// Dictionary `k` of `reader`, digested.
    func ddict(_ k: Int, of reader: DocStoreReader) throws -> OpaquePointer {
        lock.lock()
        defer { lock.unlock() }
        guard k >= 0 && k < ddicts.count else { throw IndexError.corrupt(file: reader.file, detail: "store dictionary \(k) out of range") }
        if let d = ddicts[k] { return d }
        let bytes = try reader.dictionary(k)
        guard let d = ZSTD_createDDict_byReference(bytes.baseAddress, bytes.count) else {
            throw IndexError.corrupt(file: reader.file, detail: "store dictionary \(k) is not a zstd dictionary")
        }
        ddicts[k] = d
        return d
    }

    /// Runs `body` with a context taken from the pool (made when the pool is empty).
    func withContext<T>(file: String, _ body: (Context) throws -> T) throws -> T {
        lock.lock()
        let pooled = contexts.popLast()
        lock.unlock()
        let ctx = try pooled ?? Context(file: file)
        defer {
            ctx.trim()
            lock.lock()
            contexts.append(ctx)
            lock.unlock()
        }
        return try body(ctx)
    }

    /// A decompression context and the buffer it decompresses into.
    ///
    /// A small block is decompressed right after a copy of its dictionary, into the same
    /// buffer: zstd then takes the dictionary as the frame's own prefix and copies each match
    /// from it with its fast overlapping copy. Into a separate buffer, every match taken from
    /// the dictionary is a `memmove` call of a few bytes; on the M corpus those calls were 80%
    /// of the time spent decompressing blocks for hit lines (20% of the server's CPU).
    final class Context {
        private let dctx: OpaquePointer
        private var buffer: UnsafeMutableRawBufferPointer
        /// The requested bytes of a document that spans blocks, gathered from each.
        var gathered: [UInt8] = []
        /// Per dictionary (at most ``afterDictionaryLimit``): a copy of its bytes followed by
        /// room for one block, and the dictionary digested from that copy.
        private var afterDictionary: [Int: (buffer: UnsafeMutableRawBufferPointer, ddict: OpaquePointer)] = [:]
        /// Blocks decompressed with each dictionary before it is copied.
        private var uses: [Int: Int] = [:]

        /// Room after a dictionary's copy: blocks at least this large use the shared dictionary.
        static let afterDictionaryCapacity = 64 << 10
        /// Dictionaries a context keeps copies of; blocks of others use the shared dictionary.
        static let afterDictionaryLimit = 4
        /// Blocks a context decompresses with a dictionary before it copies it: a copy (512 KiB,
        /// freshly faulted in) costs more than a few slower blocks, so a one-shot `ufsearch
        /// query`, which reads ten hits, never makes one, and a server soon does.
        static let afterDictionaryMinimumUses = 8

        /// Largest buffer kept between uses; a larger one (for a large document) is freed after it.
        static let keptCapacity = 256 << 10

        init(file: String) throws {
            guard let d = ZSTD_createDCtx() else {
                throw IndexError.badInput(path: file, reason: "cannot create a zstd decompression context")
            }
            dctx = d
            buffer = .allocate(byteCount: 64 << 10, alignment: 16)
        }

        deinit {
            ZSTD_freeDCtx(dctx)
            buffer.deallocate()
            for (_, e) in afterDictionary {
                ZSTD_freeDDict(e.ddict)
                e.buffer.deallocate()
            }
        }

        /// Block `frame` (compressed with dictionary `k` of `reader`, `expectedSize` bytes)
        /// decompressed whole right after the context's copy of the dictionary; valid until the
        /// next use of the context. Nil, with nothing done, for a block of at least
        /// ``afterDictionaryCapacity`` bytes, a dictionary past the ``afterDictionaryLimit``
        /// the context keeps copies of, or one used fewer than ``afterDictionaryMinimumUses``
        /// times by this context. Errors as ``decompress(_:ddict:expectedSize:file:)``.
        func decompressAfterDictionary(_ frame: UnsafeRawBufferPointer, dictionary k: Int, of reader: DocStoreReader,
                                       expectedSize: Int) throws -> UnsafeRawBufferPointer? {
            guard expectedSize < Self.afterDictionaryCapacity else { return nil }
            let entry: (buffer: UnsafeMutableRawBufferPointer, ddict: OpaquePointer)
            if let e = afterDictionary[k] {
                entry = e
            } else if afterDictionary.count >= Self.afterDictionaryLimit {
                return nil
            } else if uses[k, default: 0] < Self.afterDictionaryMinimumUses {
                uses[k, default: 0] += 1
                return nil
            } else {
                let bytes = try reader.dictionary(k)
                let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + Self.afterDictionaryCapacity, alignment: 16)
                copy.copyMemory(from: bytes)
                guard let d = ZSTD_createDDict_byReference(copy.baseAddress, bytes.count) else {
                    copy.deallocate()
                    throw IndexError.corrupt(file: reader.file, detail: "store dictionary \(k) is not a zstd dictionary")
                }
                entry = (copy, d)
                afterDictionary[k] = entry
            }
            let start = entry.buffer.count - Self.afterDictionaryCapacity
            // One spare byte lets an over-long frame decode far enough to be reported as a size mismatch.
            let cap = min(expectedSize + 1, Self.afterDictionaryCapacity)
            let result = ZSTD_decompress_usingDDict(dctx, entry.buffer.baseAddress! + start, cap, frame.baseAddress, frame.count, entry.ddict)
            try Zstd.checkDecompressed(result, expectedSize: expectedSize, file: reader.file)
            return UnsafeRawBufferPointer(rebasing: entry.buffer[start..<start + expectedSize])
        }

        /// Frees oversized buffers.
        func trim() {
            if buffer.count > Self.keptCapacity {
                buffer.deallocate()
                buffer = .allocate(byteCount: 64 << 10, alignment: 16)
            }
            if gathered.capacity > Self.keptCapacity { gathered = [] }
        }

        private func reserve(_ n: Int) {
            if buffer.count < n {
                buffer.deallocate()
                buffer = .allocate(byteCount: n, alignment: 16)
            }
        }

        /// `frame` decompressed whole (with digested dictionary `ddict`, nil: none) to exactly
        /// `expectedSize` bytes; valid until the next use of the context. Errors as
        /// ``Zstd/decompress(_:expectedSize:file:)``.
        func decompress(_ frame: UnsafeRawBufferPointer, ddict: OpaquePointer?, expectedSize: Int, file: String) throws -> UnsafeRawBufferPointer {
            try Zstd.checkPlausible(expectedSize, file: file)
            // One spare byte lets an over-long frame decode far enough to be reported as a size mismatch.
            reserve(expectedSize + 1)
            let dst = buffer.baseAddress, cap = expectedSize + 1
            let result = ddict.map { ZSTD_decompress_usingDDict(dctx, dst, cap, frame.baseAddress, frame.count, $0) }
                ?? ZSTD_decompressDCtx(dctx, dst, cap, frame.baseAddress, frame.count)
            try Zstd.checkDecompressed(result, expectedSize: expectedSize, file: file)
            return UnsafeRawBufferPointer(rebasing: buffer[0..<expectedSize])
        }
    }
}
