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
