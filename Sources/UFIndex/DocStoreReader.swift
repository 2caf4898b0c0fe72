// Reads the .store files DocStoreBuilder writes (grammar in DocStoreBuilder.swift), straight
// from the mapped bytes; StoreDecoder holds the zstd state.

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
