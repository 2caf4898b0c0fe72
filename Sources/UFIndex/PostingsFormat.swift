// Postings and positions files.
//
// A term's postings live at TermInfo.postOffset in the segment's .post file, its positions
// (for 'B' and 'T' terms) at TermInfo.posOffset in the .pos file. Documents are grouped in
// blocks of up to 128; a skip table in front of the blocks lets a reader jump to the block
// that may hold a target document and bound its best possible score without decoding it.
//
//   termPostings := blockCount:varint skipEntry{blockCount} block{blockCount}
//   skipEntry    := lastDocDelta:varint   last doc of the block minus the previous block's
//                                         last doc (the first: last doc + 1)
//                   blockLen:varint       bytes of the block in .post
//                   posLen:varint         bytes of the block's positions in .pos (0: none)
//                   maxTf:varint          the largest tf in the block
//                   minLen:varint         the smallest document length (ICU words) in the block
//   block        := posting{n}
//   posting      := (docDelta << 1 | 1):varint                when tf = 1 (most bigram postings)
//                 | (docDelta << 1):varint tf:varint          otherwise
//                   docDelta: doc minus the previous doc (the block's first: minus the previous
//                   block's last doc, or doc + 1 for the first block)
//   termPositions := docPositions{df}     per document, in postings order
//   docPositions  := posDelta:varint{tf}  unit positions, delta-coded from 0
//
// All integers are unsigned LEB128 varints. Doc ids are segment-local.

/// Documents per postings block.
public let postingsBlockSize = 128

/// Encodes one term's postings and positions.
struct PostingsEncoder {
    private(set) var df = 0
    private(set) var maxTf: UInt32 = 0
    private var skip = ByteWriter()
    private var blocks = ByteWriter()
    private var positions = ByteWriter()
    private var block = ByteWriter()
    private var blockPositions = ByteWriter()
    private var blockCount = 0
    private var inBlock = 0
    private var blockMaxTf: UInt32 = 0
    private var blockMinLen: UInt32 = .max
    private var lastDoc: Int64 = -1
    private var prevBlockLast: Int64 = -1
    let hasPositions: Bool

    init(hasPositions: Bool) { self.hasPositions = hasPositions }

    /// Adds a document (in increasing doc order) with its tf, length and positions.
    mutating func add(doc: Int32, tf: UInt32, length: UInt32, positions pos: UnsafeBufferPointer<UInt32>) {
        let delta = UInt64(Int64(doc) - lastDoc)
        if tf == 1 {
            block.varint(delta << 1 | 1)
        } else {
            block.varint(delta << 1)
            block.varint(UInt64(tf))
        }
        if hasPositions {
            var last: UInt32 = 0
            for p in pos { blockPositions.varint(UInt64(p &- last)); last = p }
        }
        lastDoc = Int64(doc)
        df += 1
        inBlock += 1
        blockMaxTf = max(blockMaxTf, tf)
        maxTf = max(maxTf, tf)
        blockMinLen = min(blockMinLen, length)
        if inBlock == postingsBlockSize { closeBlock() }
    }

    private mutating func closeBlock() {
        guard inBlock > 0 else { return }
        skip.varint(UInt64(lastDoc - prevBlockLast))
        skip.varint(UInt64(block.buffer.count))
        skip.varint(UInt64(blockPositions.buffer.count))
        skip.varint(UInt64(blockMaxTf))
        skip.varint(UInt64(blockMinLen))
        blocks.bytes(block.buffer)
        positions.bytes(blockPositions.buffer)
        block.buffer.removeAll(keepingCapacity: true)
        blockPositions.buffer.removeAll(keepingCapacity: true)
        prevBlockLast = lastDoc
        blockCount += 1
        inBlock = 0
        blockMaxTf = 0
        blockMinLen = .max
    }

    /// Finishes the term: its postings bytes and positions bytes.
    mutating func finish() -> (postings: [UInt8], positions: [UInt8]) {
        closeBlock()
        var out = ByteWriter()
        out.varint(UInt64(blockCount))
        out.bytes(skip.buffer)
        out.bytes(blocks.buffer)
        return (out.buffer, positions.buffer)
    }
}

/// Reads one term's postings straight from the mapped .post and .pos files. Every value read
/// is bounds-checked; corrupt bytes throw `IndexError.corrupt` naming the file. A class, so the
/// scorer and matcher hold it without copying its skip tables on every access.
public final class PostingsCursor {
    /// The current document (segment-local), or `Int32.max` when exhausted.
    public private(set) var doc: Int32 = -1
    /// The term frequency in the current document.
    public private(set) var tf: UInt32 = 0
    /// Number of documents in the list.
    public let df: Int

    private var lastDocs: [Int32] = []
    private var blockStarts: [Int] = []   // offsets of blocks within the postings region
    private var posStarts: [Int] = []
    private var maxTfs: [UInt32] = []
    private var minLens: [UInt32] = []
    private var post: ByteReader
    private var pos: ByteReader?
    private var blockIndex = -1
    private var inBlockRemaining = 0
    private var pendingPositionSkips = 0   // position varints of earlier docs not yet skipped
    private var positionsRead = true

    /// Opens a cursor over `post` (this term's postings) and optionally `pos` (its positions).
    public init(postings post: ByteReader, positions pos: ByteReader?, df: Int) throws {
        var r = post
        self.df = df
        let count = try r.varintInt()
        guard count >= 0, count <= df, count <= r.remaining else { throw r.corrupt("bad postings block count \(count)") }
        lastDocs.reserveCapacity(count)
        var last: Int64 = -1
        var blockOff = 0
        var posOff = 0
        for _ in 0..<count {
            last += Int64(try r.varint())
            guard last < Int64(Int32.max) else { throw r.corrupt("doc id out of range") }
            lastDocs.append(Int32(last))
            blockStarts.append(blockOff)
            posStarts.append(posOff)
            blockOff += try r.varintInt()
            posOff += try r.varintInt()
            maxTfs.append(try r.varint32())
            minLens.append(try r.varint32())
        }
        self.post = try r.sub(offset: r.offset, length: blockOff)
        if let p = pos {
            guard posOff <= p.remaining else { throw p.corrupt("positions shorter than the skip table says") }
            self.pos = p
        }
        blockStarts.append(blockOff)
        posStarts.append(posOff)
    }

    /// Number of blocks.
    public var blockCount: Int { lastDocs.count }
    /// The last document of the current block (or of block `i`).
    public func blockLastDoc(_ i: Int) -> Int32 { lastDocs[i] }
    /// The largest tf in the current block.
    public var blockMaxTf: UInt32 { blockIndex >= 0 && blockIndex < maxTfs.count ? maxTfs[blockIndex] : 0 }
    /// The smallest document length in the current block.
    public var blockMinLength: UInt32 { blockIndex >= 0 && blockIndex < minLens.count ? minLens[blockIndex] : 0 }
    /// The largest tf over the whole list.
    public var maxTf: UInt32 { maxTfs.max() ?? 0 }
    /// True when exhausted.
    public var isExhausted: Bool { doc == Int32.max }

    /// Index of the block that may hold `target` (the first whose last doc ≥ target), or nil.
    public func blockFor(_ target: Int32) -> Int? {
        var lo = max(blockIndex, 0), hi = lastDocs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if lastDocs[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return lo < lastDocs.count ? lo : nil
    }

    /// Bounds of block `i`: its largest tf and smallest document length.
    public func blockBounds(_ i: Int) -> (maxTf: UInt32, minLength: UInt32) { (maxTfs[i], minLens[i]) }

    private func enterBlock(_ i: Int) throws {
        blockIndex = i
        try post.seek(to: blockStarts[i])
        if pos != nil { try pos!.seek(to: posStarts[i]) }
        pendingPositionSkips = 0
        positionsRead = true
        let prev = i == 0 ? Int32(-1) : lastDocs[i - 1]
        doc = prev
        inBlockRemaining = i + 1 < lastDocs.count ? postingsBlockSize : df - i * postingsBlockSize
        guard inBlockRemaining > 0, inBlockRemaining <= postingsBlockSize else { throw post.corrupt("bad block size") }
    }

    /// Moves to the next document.
    public func next() throws {
        if inBlockRemaining == 0 {
            let nb = blockIndex + 1
            if nb >= lastDocs.count { doc = Int32.max; tf = 0; return }
            try enterBlock(nb)
        }
        if !positionsRead { pendingPositionSkips += Int(tf) }
        let v = try post.varint()
        let delta = v >> 1
        guard delta > 0, Int64(doc) + Int64(delta) < Int64(Int32.max) else { throw post.corrupt("bad doc delta \(delta)") }
        doc = Int32(Int64(doc) + Int64(delta))
        tf = v & 1 == 1 ? 1 : try post.varint32()
        guard tf > 0 else { throw post.corrupt("zero term frequency") }
        positionsRead = false
        inBlockRemaining -= 1
        if inBlockRemaining == 0 && doc != lastDocs[blockIndex] { throw post.corrupt("block ends at doc \(doc), skip table says \(lastDocs[blockIndex])") }
    }

    /// Moves to the first document ≥ `target`.
    public func advance(to target: Int32) throws {
        if doc >= target { return }
        if blockIndex < 0 || target > lastDocs[blockIndex] {
            guard let b = blockFor(target) else { doc = Int32.max; tf = 0; return }
            if b != blockIndex { try enterBlock(b) }
        }
        repeat { try next() } while doc < target
    }

    /// The current document's positions, appended to `out` (which is cleared first).
    public func positions(into out: inout [UInt32]) throws {
        out.removeAll(keepingCapacity: true)
        guard pos != nil else { return }
        while pendingPositionSkips > 0 {
            _ = try pos!.varint()
            pendingPositionSkips -= 1
        }
        var last: UInt32 = 0
        for _ in 0..<tf {
            let d = try pos!.varint32()
            let (p, o) = last.addingReportingOverflow(d)
            guard !o else { throw pos!.corrupt("position overflow") }
            out.append(p)
            last = p
        }
        positionsRead = true
    }
}
