// Document store (.store): every document's original bytes, zstd-compressed in small blocks
// (about 8 KiB) with a dictionary trained on the segment's first 4 MiB of documents, so that
// one document costs one small decompression (~5 µs) while neighbouring documents still share
// their common phrasing through the dictionary (M benchmark corpus, 109.9 MB of text: 20.7 MB
// with a 512 KiB dictionary per segment at zstd level 5 with minMatch 6 and searchLog 5, 21.0 MB
// at level 6 for ~25% more compression time, 23.6 MB at level 3; 36.0 MB for 256 KiB blocks
// without a dictionary). With the dictionary, block size barely moves the total (M: 20.99 MB
// for 16 KiB blocks, 20.97 MB for 8 KiB, 21.13 MB for 4 KiB), and a hit line decompresses a
// whole block: the server spent ~14% less CPU on the bench queries with 8 KiB than with 16 KiB
// (4 KiB gained nothing more).
//
//   body       := chunk* blockTable dictTable trailer
//   chunk      := a block's zstd frame, or a dictionary (ZDICT format); each is found through
//                 the tables, which give their offsets from the start of the body
//   blockTable := (offset:u64le compressedLen:u32le rawLen:u32le dict:u32le){blockCount}
//   dictTable  := (offset:u64le length:u32le){dictCount}
//   trailer    := blockCount:u32le dictCount:u32le
//
// A block is one zstd frame of the concatenated original bytes of its documents, compressed
// with no dictionary (dict = 0) or with dictionary dict - 1. Every frame and dictionary lies
// before the block table. A segment made by flushing has at most one dictionary; a merge
// copies the blocks of large sources verbatim with their dictionaries, so a store may hold
// several.
//
// A document is found through its DocTable record: (storeBlock, storeOffset, size) — the
// block, the offset inside the uncompressed block, and its length. A document that does not
// fit in the rest of its block goes on from the start of the next block, and so on: one
// larger than a block starts a block of its own and fills it and the blocks after it, 8 KiB
// each, the last of them holding the rest (and possibly the next documents). Reading part
// of a large document decompresses only the blocks that hold that part (the hit line of a
// match in an 830 KB document reads one or two 8 KiB blocks, not the 830 KB). Version 2
// stores gave a large document one block of its own instead. Every record names a block
// that exists: empty documents with nothing before them in the last block (a segment of
// empty files) get a block of their own, 0 bytes long.

import CZstd
import Foundation

/// Uncompressed bytes gathered before a store block is compressed.
let storeBlockTarget = 8 << 10
/// Uncompressed bytes gathered (and kept raw) before the dictionary is trained on them.
let storeDictionarySample = 4 << 20
/// Largest dictionary; smaller samples get at most an eighth of their size.
let storeDictionaryMax = 512 << 10
/// Samples smaller than this get no dictionary.
let storeDictionaryMinSample = 64 << 10
/// Raw bytes of closed blocks compressed together.
let storeCompressionBatch = 1 << 20
/// Store compression level (greedy), with a longer shortest match and a deeper search than
/// the level's own: a Han character is three UTF-8 bytes, so matches of 4-5 bytes rarely pay.
/// On the M corpus this is 0.3 MB smaller than level 6 and ~25% less compression time, and
/// blocks decompress ~7% faster.
let storeLevel: Int32 = 5
/// zstd's minMatch for the store (level 5's own is 5).
let storeMinMatch: Int32 = 6
/// zstd's searchLog for the store (level 5's own is 3).
let storeSearchLog: Int32 = 5

/// Builds a store while documents are added; compressed blocks are kept in memory.
final class DocStoreBuilder {
    /// Frames and dictionaries, at the offsets the tables give.
    private(set) var chunks: [UInt8] = []
    private(set) var blocks: [(offset: UInt64, compressedLen: UInt32, rawLen: UInt32, dict: UInt32)] = []
    private(set) var dicts: [(offset: UInt64, length: UInt32)] = []
    /// (block, offset in block) of each added document.
    private(set) var locations: [(block: UInt32, offset: UInt32)] = []
    let level: Int32

    /// The open block's documents.
    private var pending: [UInt8] = []
    /// Whether a document's location names the open block (an empty document may, with
    /// `pending` empty: the block is still written, empty, so that every location names a block).
    private var openBlockLocated: Bool { locations.last.map { Int($0.block) == blocks.count } ?? false }
    /// Closed blocks waiting for the dictionary or the next batch: their raw bytes, one after the other.
    private var waiting: [UInt8] = []
    private var waitingBlocks: [(block: Int, range: Range<Int>)] = []
    /// Sizes of the documents in `waiting` and `pending` (the training samples).
    private var sampleSizes: [Int] = []
    /// Set once the dictionary is trained (or found impossible).
    private var compressor: Zstd.Compressor?
    private var dictNumber: UInt32 = 0

    init(level: Int32 = storeLevel) { self.level = level }

    /// Bytes held in memory.
    var memoryBytes: Int { chunks.count + pending.count + waiting.count + blocks.count * 20 + locations.count * 8 + sampleSizes.count * 8 }

    /// Adds one document. A document larger than a block starts a block of its own and goes on
    /// into the blocks after it, ``storeBlockTarget`` bytes each (the last takes the rest), so
    /// that reading part of it decompresses only the blocks that hold that part.
    func add(_ bytes: UnsafeRawBufferPointer) throws {
        if !pending.isEmpty && pending.count + bytes.count > storeBlockTarget { try closeBlock() }
        locations.append((UInt32(blocks.count), UInt32(pending.count)))
        var at = 0
        repeat {
            let piece = UnsafeRawBufferPointer(rebasing: bytes[at..<min(bytes.count, at + storeBlockTarget)])
            pending.append(contentsOf: piece)
            if compressor == nil { sampleSizes.append(piece.count) }
            if pending.count >= storeBlockTarget { try closeBlock() }
            at += piece.count
        } while at < bytes.count
    }

    /// Closes the open block. Closed blocks are kept raw until the dictionary is trained, then
    /// compressed in batches of about 1 MiB: compressing a block now and then between analyses
    /// finds the dictionary's match tables out of the cache every time (2.5x slower).
    private func closeBlock() throws {
        guard !pending.isEmpty || openBlockLocated else { return }
        blocks.append((0, 0, UInt32(pending.count), 0))
        waitingBlocks.append((blocks.count - 1, waiting.count..<waiting.count + pending.count))
        waiting.append(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
        if compressor == nil {
            if waiting.count >= storeDictionarySample { try train() }
        } else if waiting.count >= storeCompressionBatch {
            try compressWaiting()
        }
    }

    /// Compresses the waiting blocks.
    private func compressWaiting() throws {
        guard let c = compressor else { return }
        try waiting.withUnsafeBytes { w in
            for (b, r) in waitingBlocks {
                try store(block: b, c.compress(UnsafeRawBufferPointer(rebasing: w[r])), dict: dictNumber)
            }
        }
        waiting.removeAll(keepingCapacity: true)
        waitingBlocks.removeAll(keepingCapacity: true)
    }

    private func store(block b: Int, _ frame: [UInt8], dict: UInt32) throws {
        guard frame.count <= Int(UInt32.max) else { throw IndexError.badInput(path: "(store)", reason: "block too large") }
        blocks[b].offset = UInt64(chunks.count)
        blocks[b].compressedLen = UInt32(frame.count)
        blocks[b].dict = dict
        chunks.append(contentsOf: frame)
    }

    /// Trains the dictionary on the waiting blocks (when they are enough), then compresses them.
    private func train() throws {
        var dictionary: [UInt8]? = nil
        if waiting.count >= storeDictionaryMinSample {
            let capacity = min(storeDictionaryMax, waiting.count / 8)
            dictionary = waiting.withUnsafeBytes { Zstd.trainDictionary(samples: $0, sizes: sampleSizes, capacity: capacity, level: level) }
        }
        if let d = dictionary {
            dicts.append((UInt64(chunks.count), UInt32(d.count)))
            chunks.append(contentsOf: d)
            dictNumber = UInt32(dicts.count)
        }
        compressor = try Zstd.Compressor(dictionary: dictionary, level: level, minMatch: storeMinMatch, searchLog: storeSearchLog)
        sampleSizes = []
        try compressWaiting()
        waiting = []
    }

    /// Compresses everything added so far (the dictionary is trained now if it was not yet).
    func flush() throws {
        try closeBlock()
        if compressor == nil { try train() }
        try compressWaiting()
    }

    /// Appends every block of another segment's store verbatim (no recompression), with its
    /// dictionaries and the locations of its documents: used by merges.
    func appendBlocks(of reader: DocStoreReader, locations docs: [(block: UInt32, offset: UInt32)]) throws {
        try closeBlock()
        let dictBase = UInt32(dicts.count)
        for k in 0..<reader.dictCount {
            let d = try reader.dictionary(k)
            dicts.append((UInt64(chunks.count), UInt32(d.count)))
            chunks.append(contentsOf: d)
        }
        let base = UInt32(blocks.count)
        for b in 0..<reader.blockCount {
            let (frame, rawLen, dict) = try reader.compressedBlock(b)
            blocks.append((UInt64(chunks.count), UInt32(frame.count), rawLen, dict == 0 ? 0 : dictBase + dict))
            chunks.append(contentsOf: frame)
        }
        for d in docs {
            guard d.block < UInt32(reader.blockCount) else { throw IndexError.corrupt(file: reader.file, detail: "store block \(d.block) out of range") }
            locations.append((base + d.block, d.offset))
        }
    }

    /// Finishes the last block and writes the store file body.
    func write(to sink: FileSink) throws {
        try flush()
        try sink.write(chunks)
        var w = ByteWriter()
        for e in blocks {
            w.u64LE(e.offset); w.u32LE(e.compressedLen); w.u32LE(e.rawLen); w.u32LE(e.dict)
        }
        for d in dicts {
            w.u64LE(d.offset); w.u32LE(d.length)
        }
        w.u32LE(UInt32(blocks.count))
        w.u32LE(UInt32(dicts.count))
        try sink.write(w)
    }
}

/// Reads documents from a mapped .store file.
public struct DocStoreReader {
    let body: UnsafeRawBufferPointer
    let file: String
    let blockCount: Int
    let dictCount: Int
    let blockTableStart: Int
    let dictTableStart: Int
    /// Decompression contexts and digested dictionaries, shared by the copies of this reader.
    private let decoder: StoreDecoder

    static let blockEntrySize = 20
    static let dictEntrySize = 12

    init(body: UnsafeRawBufferPointer, file: String) throws {
        self.body = body
        self.file = file
        var r = ByteReader(body, file: file)
        guard body.count >= 8 else { throw IndexError.corrupt(file: file, detail: "store too short") }
        try r.seek(to: body.count - 8)
        blockCount = Int(try r.u32LE())
        dictCount = Int(try r.u32LE())
        // Both counts are below 2^32, so these products cannot overflow.
        let tables = blockCount * Self.blockEntrySize + dictCount * Self.dictEntrySize
        guard tables <= body.count - 8 else { throw IndexError.corrupt(file: file, detail: "store block table out of range") }
        dictTableStart = body.count - 8 - dictCount * Self.dictEntrySize
        blockTableStart = dictTableStart - blockCount * Self.blockEntrySize
        decoder = StoreDecoder(dictCount: dictCount)
    }

    /// The original bytes of a document stored at `block`/`offset` with `size` bytes.
    public func document(block: UInt32, offset: UInt32, size: UInt64) throws -> [UInt8] {
        try withDocument(block: block, offset: offset, size: size) { Array($0) }
    }

    /// Runs `body` with bytes `from ..< min(size, limit)` of a document (none when `from` is
    /// past them), decompressed into a buffer the reader reuses: `body` must not keep the
    /// pointer. A document lies in block `block` from `offset` on and, when it is longer than
    /// the rest of that block, goes on from the start of each following block in turn; only
    /// the blocks that hold the requested bytes are decompressed.
    public func withDocument<T>(block: UInt32, offset: UInt32, size: UInt64, from: Int = 0, limit: Int = .max,
                                _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        let (frame, rlen, dict, total) = try firstBlock(block: block, offset: offset, size: size)
        let end = min(total, max(0, limit))
        let start = min(max(0, from), end)
        let inFirst = Int(rlen - offset)
        if start == end { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try decoder.withContext(file: file) { ctx in
            if end <= inFirst {
                // One block holds every requested byte.
                let raw = try decompress(frame, rawLength: rlen, dict: dict, ctx)
                return try body(UnsafeRawBufferPointer(rebasing: raw[Int(offset) + start ..< Int(offset) + end]))
            }
            // The document goes on into the following blocks: gather the requested bytes.
            ctx.gathered.removeAll(keepingCapacity: true)
            try pieces(block: block, offset: offset, size: total, end: end) { piece, at, n, pos in
                guard pos + n > start else { return }
                let raw = try decompress(piece.frame, rawLength: piece.rawLength, dict: piece.dict, ctx)
                let lo = at + max(0, start - pos), hi = at + min(n, end - pos)
                ctx.gathered.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[lo..<hi]))
            }
            return try ctx.gathered.withUnsafeBytes { try body($0) }
        }
    }

    /// Calls `body`, in order, for each block that holds some of the first `end` bytes of a
    /// document of `size` bytes stored from block `block`, `offset` on: the block, where the
    /// document's bytes start in it and how many it holds, and the index in the document of the
    /// first. Reads the block table only; corruption when the blocks run out first.
    private func pieces(block: UInt32, offset: UInt32, size: Int, end: Int,
                        _ body: ((frame: UnsafeRawBufferPointer, rawLength: UInt32, dict: UInt32), Int, Int, Int) throws -> Void) throws {
        var b = Int(block), at = Int(offset), pos = 0
        while pos < end {
            let (frame, rawLength, dict) = try compressedBlock(b)
            let n = min(Int(rawLength) - at, size - pos)
            guard n > 0 else {
                throw IndexError.corrupt(file: file, detail: "document of \(size) bytes from store block \(block) runs into the end of block \(b)")
            }
            try body((frame, rawLength, dict), at, n, pos)
            pos += n
            b += 1
            at = 0
        }
    }

    /// Checks that the blocks from `block` on hold a document of `size` bytes from `offset` on
    /// (for `check`; reads the block table only).
    func verifyExtent(block: UInt32, offset: UInt32, size: UInt64) throws {
        let total = try firstBlock(block: block, offset: offset, size: size).total
        try pieces(block: block, offset: offset, size: total, end: total) { _, _, _, _ in }
    }

    /// The block a document starts in (frame, raw length, dictionary), checked to hold its
    /// `offset`, and the document's size as an Int.
    private func firstBlock(block: UInt32, offset: UInt32, size: UInt64) throws
        -> (frame: UnsafeRawBufferPointer, rawLength: UInt32, dict: UInt32, total: Int) {
        let (frame, rawLength, dict) = try compressedBlock(Int(block))
        guard offset <= rawLength else { throw IndexError.corrupt(file: file, detail: "document starts past the end of store block \(block)") }
        return (frame, rawLength, dict, Int(min(size, UInt64(Int.max))))
    }

    /// `frame` (a block of `rawLength` bytes compressed with dictionary `dict`, 0: none)
    /// decompressed whole with `ctx`; valid until the context's next use.
    private func decompress(_ frame: UnsafeRawBufferPointer, rawLength: UInt32, dict: UInt32,
                            _ ctx: StoreDecoder.Context) throws -> UnsafeRawBufferPointer {
        let k = Int(dict) - 1
        if k >= 0, let r = try ctx.decompressAfterDictionary(frame, dictionary: k, of: self, expectedSize: Int(rawLength)) {
            return r
        }
        return try ctx.decompress(frame, ddict: k < 0 ? nil : try decoder.ddict(k, of: self), expectedSize: Int(rawLength), file: file)
    }

    /// The whole uncompressed block `block`.
    func decompressBlock(_ block: UInt32) throws -> [UInt8] {
        try withDocument(block: block, offset: 0, size: UInt64(try compressedBlock(Int(block)).1)) { Array($0) }
    }

    /// Block `b`'s compressed bytes, uncompressed length and dictionary number (0: none; the one
    /// place that reads the block table).
    func compressedBlock(_ b: Int) throws -> (UnsafeRawBufferPointer, UInt32, UInt32) {
        guard b >= 0 && b < blockCount else { throw IndexError.corrupt(file: file, detail: "store block \(b) out of range") }
        var r = ByteReader(body, file: file)
        try r.seek(to: blockTableStart + b * Self.blockEntrySize)
        let off = try r.u64LE(), clen = try r.u32LE(), rlen = try r.u32LE(), dict = try r.u32LE()
        guard off <= UInt64(blockTableStart), UInt64(clen) <= UInt64(blockTableStart) - off else {
            throw IndexError.corrupt(file: file, detail: "store block \(b) out of range")
        }
        guard dict <= UInt32(dictCount) else {
            throw IndexError.corrupt(file: file, detail: "store block \(b) names dictionary \(dict), the store has \(dictCount)")
        }
        return (UnsafeRawBufferPointer(rebasing: body[Int(off)..<Int(off + UInt64(clen))]), rlen, dict)
    }

    /// Dictionary `k`'s bytes (the one place that reads the dictionary table).
    func dictionary(_ k: Int) throws -> UnsafeRawBufferPointer {
        guard k >= 0 && k < dictCount else { throw IndexError.corrupt(file: file, detail: "store dictionary \(k) out of range") }
        var r = ByteReader(body, file: file)
        try r.seek(to: dictTableStart + k * Self.dictEntrySize)
        let off = try r.u64LE(), len = try r.u32LE()
        guard off <= UInt64(blockTableStart), UInt64(len) <= UInt64(blockTableStart) - off else {
            throw IndexError.corrupt(file: file, detail: "store dictionary \(k) out of range")
        }
        return UnsafeRawBufferPointer(rebasing: body[Int(off)..<Int(off + UInt64(len))])
    }

    /// Uncompressed bytes of all blocks.
    func rawBytes() throws -> UInt64 {
        var n: UInt64 = 0
        for b in 0..<blockCount { n += UInt64(try compressedBlock(b).1) }
        return n
    }

    /// Decompresses every block (for `check`).
    func verifyAll() throws {
        for b in 0..<blockCount { _ = try decompressBlock(UInt32(b)) }
    }
}

/// The zstd state a store reader needs: one digested dictionary per dictionary (made on first
/// use, referencing the mapped bytes) and a pool of decompression contexts with their output
/// buffers, so that concurrent readers (the server) do not wait for each other and a document
/// costs no allocation. Freed with the segment reader.
final class StoreDecoder: @unchecked Sendable {
    private let lock = NSLock()
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
