// Postings and positions files.
//
// A term's postings live at TermInfo.postOffset in the segment's .post file, its positions
// (for 'B' and 'T' terms) at TermInfo.posOffset in the .pos file. Documents are grouped in
// blocks of up to 128; a skip table in front of the blocks lets a reader jump to the block
// that may hold a target document and bound its best possible score without decoding it.
// Document gaps and tfs are bit-packed with patched exceptions (a reader decodes a block with
// shifts and masks); positions, the bulk of the index, are Rice-coded, a few bits above their
// entropy.
//
//   termPostings := skipEntry{blockCount} block{blockCount}
//                   blockCount = ⌈df / 128⌉, df from the term dictionary. With one block there
//                   is no skip table: the block is all of the postings, its positions all of
//                   the term's positions, its largest tf the dictionary's maxTf.
//   skipEntry    := lastDocDelta:varint   last doc of the block minus the previous block's
//                                         last doc (the first: last doc + 1)
//                   blockLen:varint       bytes of the block in .post
//                   posLen:varint         bytes of the block's positions in .pos (0: none)
//                   maxTf:varint          the largest tf in the block
//                   minLen:varint         the smallest document length (ICU words) in the block
//   block        := flags:u8 [tfBits:u8] [docExceptions:u8 tfExceptions:u8]
//                   packed(docGap mod 2^docBits, n, docBits) packed((tf - 1) mod 2^tfBits, n, tfBits)
//                   exception{docExceptions} exception{tfExceptions}
//                   flags: docBits (0...32) in bits 0-5; bit 6: tfBits follows (else every tf
//                   is 1: tfBits = 0, no tf exceptions); bit 7: the exception counts follow
//                   (else both are 0)
//                   n = 128, or df - 128 × (blockCount - 1) for the last block
//                   docGap: doc minus the previous doc minus 1 (the block's first: minus the
//                   previous block's last doc, or -1 for the first block)
//   exception    := index:u8 high:varint      value[index] += high << bits (high > 0)
//   packed(v, n, w) := ⌈n × w / 8⌉ bytes holding n values of w bits (0...32), least significant
//                   bit first: value k occupies bits k×w ..< (k+1)×w of the little-endian stream
//   blockPositions := gapK:u8{⌈(P - n) / 128⌉} [mark{⌊(n - 1) / 8⌋}] docPositions{n} pad
//                   P: the sum of the block's tfs; docPositions := first rice(gap){tf - 1}: a
//                   document's first position, then each next position minus the previous one;
//                   gap k applies to the block's gaps 128 × k ..< 128 × (k + 1) (counted over
//                   the block's documents in order); marks, present when P ≥ 256: the bit offset
//                   in the stream of documents 8, 16, … 120, so a reader skips to them; u16le
//                   when the block's positions take fewer than 8192 bytes, else u32le;
//                   pad: zero bits to a byte
//   first        := each document's first position, scaled by its unit count u (.docs): with
//                   tf = 1, truncated binary over 0 ..< u; otherwise rice(first) with parameter
//                   ⌊log2 max(1, 2u / (3 (tf + 1)))⌋
//                   (u = 1 takes no bits: a 'B' or 'T' list whose documents all have one unit,
//                   such as a file holding one word, has positions and no bytes for them)
//   truncated binary of v over 0 ..< u := with b = ⌈log2 u⌉ and c = 2^b − u, v < c is v in
//                   b − 1 bits; otherwise (v + c) >> 1 in b − 1 bits, then (v + c) & 1 in one
//   rice(v) with parameter k (0...31) := (v >> k) zero bits, a one bit, then v mod 2^k in k bits,
//                   all in one least-significant-bit-first stream
//
// Unit positions are those of Analysis.forEachUnit. Varints are unsigned LEB128; doc ids are
// segment-local. Readers may load up to 7 bytes past a packed list or bit stream (the footer
// follows every file's body), never beyond the mapping.

/// Documents per postings block.
public let postingsBlockSize = 128
/// Documents between position skip marks. A candidate's positions are decoded from the mark
/// before it, so a sparse reader (a rare sequence verified against common bigrams) decodes
/// about half an interval of other documents' positions per candidate: 8 rather than 16 made
/// the bench queries 6% faster on average (up to 45% for 宗教中国化) for 0.4% more index.
let positionSkipInterval = 8
/// Positions in a block from which its positions carry skip marks.
let positionSkipMinimum = 256
/// Blocks whose positions take fewer bytes than this have two-byte skip marks.
let positionMarkNarrowLimit = 8192

/// Encodes one term's postings and positions at a time: `add` its documents, then `finish`
/// (or `close` and `write`), and `reset` for the next term. One encoder serves a whole flush
/// or merge, so its buffers are allocated once rather than per term.
final class PostingsEncoder {
    private(set) var df = 0
    private(set) var maxTf: UInt32 = 0
    private(set) var hasPositions: Bool
    private var skip = RawBytes(capacity: 256)
    private var blocks = RawBytes(capacity: 1024)
    private var positions = RawBytes(capacity: 1024)
    /// Scratch: the open block's position bit stream, and its skip marks.
    private var stream = RawBytes(capacity: 1024)
    private let marks = UnsafeMutablePointer<UInt32>.allocate(capacity: postingsBlockSize / positionSkipInterval)
    /// The open block's columns (`postingsBlockSize` each): doc gaps, tf - 1, first positions,
    /// unit counts.
    private let gaps = UnsafeMutablePointer<UInt32>.allocate(capacity: postingsBlockSize)
    private let tfs = UnsafeMutablePointer<UInt32>.allocate(capacity: postingsBlockSize)
    private let firsts = UnsafeMutablePointer<UInt32>.allocate(capacity: postingsBlockSize)
    private let units = UnsafeMutablePointer<UInt32>.allocate(capacity: postingsBlockSize)
    /// The open block's position gaps.
    private var posGaps: UnsafeMutablePointer<UInt32>
    private var posGapCount = 0
    private var posGapCapacity = 1024
    private var blockCount = 0
    private var inBlock = 0
    private var blockMaxTf: UInt32 = 0
    private var blockMinLen: UInt32 = .max
    private var lastDoc: Int64 = -1
    private var prevBlockLast: Int64 = -1
    private var blockPostStart = 0
    private var blockPosStart = 0

    init(hasPositions: Bool) {
        self.hasPositions = hasPositions
        posGaps = .allocate(capacity: posGapCapacity)
    }

    deinit {
        skip.deallocate()
        blocks.deallocate()
        positions.deallocate()
        stream.deallocate()
        marks.deallocate()
        gaps.deallocate()
        tfs.deallocate()
        firsts.deallocate()
        units.deallocate()
        posGaps.deallocate()
    }

    /// Starts a new term (the buffers are kept).
    func reset(hasPositions: Bool) {
        self.hasPositions = hasPositions
        df = 0
        maxTf = 0
        skip.count = 0
        blocks.count = 0
        positions.count = 0
        posGapCount = 0
        blockCount = 0
        inBlock = 0
        blockMaxTf = 0
        blockMinLen = .max
        lastDoc = -1
        prevBlockLast = -1
        blockPostStart = 0
        blockPosStart = 0
    }

    /// Adds a document (in increasing doc order) with its tf, length, unit count and positions
    /// (increasing, `tf` of them, all below `units`; ignored for terms without positions).
    func add(doc: Int32, tf: UInt32, length: UInt32, units u: UInt32, positions pos: UnsafeBufferPointer<UInt32>) {
        if hasPositions {
            precondition(pos.count == Int(tf) && (pos.last ?? 0) < u, "positions must number tf and lie below the unit count")
            reservePositionGaps(pos.count)
            var last = pos.first ?? 0
            firsts[inBlock] = last
            units[inBlock] = u
            var k = posGapCount
            for p in pos.dropFirst() {
                posGaps[k] = p &- last
                k &+= 1
                last = p
            }
            posGapCount = k
        }
        addDocument(doc: doc, tf: tf, length: length)
    }

    /// Adds a document (in increasing doc order) whose `tf` positions are the low halves of
    /// `occurrences` (increasing, all below `units`; ignored for terms without positions).
    @inline(__always)
    func add(doc: Int32, tf: Int, length: UInt32, units u: UInt32, occurrences: UnsafePointer<UInt64>) {
        if hasPositions {
            precondition(tf > 0 && UInt32(truncatingIfNeeded: occurrences[tf - 1]) < u, "positions must lie below the unit count")
            reservePositionGaps(tf)
            var last = UInt32(truncatingIfNeeded: occurrences[0])
            firsts[inBlock] = last
            units[inBlock] = u
            var k = posGapCount
            for x in 1..<tf {
                let p = UInt32(truncatingIfNeeded: occurrences[x])
                posGaps[k] = p &- last
                k &+= 1
                last = p
            }
            posGapCount = k
        }
        addDocument(doc: doc, tf: UInt32(tf), length: length)
    }

    @inline(__always)
    private func reservePositionGaps(_ additional: Int) {
        guard posGapCount + additional > posGapCapacity else { return }
        growBuffer(&posGaps, count: posGapCount, capacity: &posGapCapacity, needed: posGapCount + additional)
    }

    @inline(__always)
    private func addDocument(doc: Int32, tf: UInt32, length: UInt32) {
        gaps[inBlock] = UInt32(Int64(doc) - lastDoc - 1)
        tfs[inBlock] = tf &- 1
        lastDoc = Int64(doc)
        df += 1
        inBlock += 1
        blockMaxTf = max(blockMaxTf, tf)
        maxTf = max(maxTf, tf)
        blockMinLen = min(blockMinLen, length)
        if inBlock == postingsBlockSize { closeBlock() }
    }

    private func closeBlock() {
        guard inBlock > 0 else { return }
        let n = inBlock
        let gp = UnsafeBufferPointer(start: gaps, count: n), tp = UnsafeBufferPointer(start: tfs, count: n)
        let gb = BitPacking.patchedWidth(gp), tb = BitPacking.patchedWidth(tp)
        let ge = BitPacking.exceptionCount(gp, bits: gb), te = BitPacking.exceptionCount(tp, bits: tb)
        let hasTf = tb > 0 || te > 0, hasExceptions = ge > 0 || te > 0
        blocks.u8(UInt8(gb) | (hasTf ? 0x40 : 0) | (hasExceptions ? 0x80 : 0))
        if hasTf { blocks.u8(UInt8(tb)) }
        if hasExceptions {
            blocks.u8(UInt8(ge))
            blocks.u8(UInt8(te))
        }
        BitPacking.pack(gp, bits: gb, into: &blocks)
        BitPacking.pack(tp, bits: tb, into: &blocks)
        BitPacking.exceptions(gp, bits: gb, into: &blocks)
        BitPacking.exceptions(tp, bits: tb, into: &blocks)
        if hasPositions {
            let g = UnsafeBufferPointer(start: posGaps, count: posGapCount)
            // The chunks' Rice parameters come first; the bit stream reads them back from there.
            let chunkStart = positions.count
            var c = 0
            while c < g.count {
                positions.u8(UInt8(Rice.parameter(UnsafeBufferPointer(rebasing: g[c..<min(c + postingsBlockSize, g.count)]))))
                c += postingsBlockSize
            }
            let chunkCount = positions.count - chunkStart
            // Document by document, its first position then its gaps, into `stream`; skip marks
            // (stream bit offsets of documents 8, 16, …) go between the parameters and the stream.
            var out = stream
            out.count = 0
            var bw = BitWriter()
            var markCount = 0
            var gi = 0
            for i in 0..<n {
                if i > 0 && i % positionSkipInterval == 0 {
                    marks[markCount] = UInt32(bw.bitCount(out, since: 0))
                    markCount += 1
                }
                let tf = tfs[i] &+ 1
                if tf == 1 {
                    bw.truncated(firsts[i], over: units[i], to: &out)
                } else {
                    bw.rice(firsts[i], k: Rice.firstParameter(units: units[i], tf: tf), to: &out)
                }
                var left = Int(tf) - 1
                while left > 0 {
                    bw.rice(g[gi], k: Int(positions.base[chunkStart + gi / postingsBlockSize]), to: &out)
                    gi += 1
                    left -= 1
                }
            }
            bw.finish(to: &out)
            stream = out
            if n + g.count >= positionSkipMinimum {
                // Two-byte marks when the whole region stays under 8 KiB (a reader tells by its length).
                if chunkCount + 2 * markCount + out.count < positionMarkNarrowLimit {
                    for j in 0..<markCount { positions.u16LE(UInt16(marks[j])) }
                } else {
                    for j in 0..<markCount { positions.u32LE(marks[j]) }
                }
            }
            positions.append(out.bytes)
            posGapCount = 0
        }
        skip.varint(UInt64(lastDoc - prevBlockLast))
        skip.varint(UInt64(blocks.count - blockPostStart))
        skip.varint(UInt64(positions.count - blockPosStart))
        skip.varint(UInt64(blockMaxTf))
        skip.varint(UInt64(blockMinLen))
        blockPostStart = blocks.count
        blockPosStart = positions.count
        prevBlockLast = lastDoc
        blockCount += 1
        inBlock = 0
        blockMaxTf = 0
        blockMinLen = .max
    }

    /// Closes the term's last block: `postingsCount` and `positionsCount` are then final.
    func close() { closeBlock() }

    /// Bytes of the closed term's postings (the skip table and the blocks).
    var postingsCount: Int { blockCount == 1 ? blocks.count : skip.count + blocks.count }

    /// Bytes of the closed term's positions.
    var positionsCount: Int { positions.count }

    /// Appends the closed term's postings to `post` and its positions to `pos`.
    func write(postings post: FileSink, positions pos: FileSink) throws {
        if blockCount != 1 { try post.write(skip.bytes) }
        try post.write(blocks.bytes)
        try pos.write(positions.bytes)
    }

    /// Finishes the term: its postings bytes and positions bytes.
    func finish() -> (postings: [UInt8], positions: [UInt8]) {
        closeBlock()
        var p = [UInt8]()
        p.reserveCapacity(postingsCount)
        if blockCount != 1 { p.append(contentsOf: skip.bytes) }
        p.append(contentsOf: blocks.bytes)
        return (p, Array(positions.bytes))
    }
}
