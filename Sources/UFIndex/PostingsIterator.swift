/// The decoding state of one term's postings, read straight from the mapped .post and .pos
/// files (grammar in PostingsFormat.swift). It holds only raw pointers and integers, so hot
/// loops can drive it through an `UnsafeMutablePointer` with no reference counting; the memory
/// belongs to the ``PostingsCursor`` that made it, which must outlive its use.
///
/// A block is decoded whole on entry (documents and tfs); its positions are decoded only when a
/// document's are asked for, and only as far as that document (PostingsIterator+Positions.swift).
/// Every length, width and document read from disk is checked before use: corrupt bytes throw
/// `IndexError.corrupt` naming the file.
public struct PostingsIterator {
    /// The current document (segment-local): -1 before the first `next`, `Int32.max` when exhausted.
    public private(set) var doc: Int32 = -1
    /// Number of documents in the list.
    public let df: Int
    /// Number of blocks.
    public let blockCount: Int

    let lastDocs: UnsafeMutablePointer<Int32>      // per block
    let maxTfs: UnsafeMutablePointer<UInt32>       // per block
    let minLens: UnsafeMutablePointer<UInt32>      // per block
    let blockStarts: UnsafeMutablePointer<Int>     // per block + 1, offsets in `post`
    let posStarts: UnsafeMutablePointer<Int>       // per block + 1, offsets in `pos`
    let docs: UnsafeMutablePointer<Int32>          // the current block's documents
    let tfs: UnsafeMutablePointer<UInt32>          // the current block's tfs
    let firsts: UnsafeMutablePointer<UInt32>       // scratch: first positions
    let posIndex: UnsafeMutablePointer<Int>        // start of each document's positions in posBuf, + end
    var posBuf: UnsafeMutablePointer<UInt32>? = nil
    var posCap = 0
    let post: UnsafeRawPointer
    let postReadable: Int
    let pos: UnsafeRawPointer?
    let posReadable: Int
    var block = -1
    var index = -1
    var count = 0
    var posBlock = -1        // block whose positions are being decoded
    var posDecoded = 0       // documents of that block whose positions are in posBuf
    var posBit = 0           // where the Rice stream continues (bits from `pos`)
    var posEndBit = 0
    var posKs = 0            // byte offset in `pos` of the gap chunks' parameters
    var posMarksAt = 0       // byte offset in `pos` of the skip marks
    var posMarkCount = 0
    var posMarkWidth = 4
    var posStreamBit = 0     // where the block's bit stream starts
    var gapIndex = 0         // gaps decoded so far in the block
    let docLimit: Int
    let units: UnsafeRawPointer?     // each document's unit count, u32le
    let unitsBytes: Int
    let postFile: String
    let posFile: String

    /// The term frequency in the current document.
    @inline(__always) public var tf: UInt32 { tfs[index] }
    /// True when exhausted.
    @inline(__always) public var isExhausted: Bool { doc == Int32.max }

    /// Parses the skip table of `post` (one term's postings). `slack` bytes past the end of
    /// each region may be loaded (see the grammar); `docLimit` bounds every document id; `maxTf`
    /// is the dictionary's (it bounds a one-block list).
    init(post r0: ByteReader, pos: ByteReader?, df: Int, maxTf: UInt32, docLimit: Int, units: UnsafeRawBufferPointer?,
         postSlack: Int, posSlack: Int, memory mem: UnsafeMutableRawPointer) throws {
        var r = r0
        self.df = df
        self.docLimit = docLimit
        self.units = units?.baseAddress
        unitsBytes = units?.count ?? 0
        postFile = r.file
        posFile = pos?.file ?? r.file
        guard df >= 0 else { throw r.corrupt("negative document count") }
        let n = Self.blockCount(df: df)
        blockCount = n
        var off = 0
        func carve<T>(_ t: T.Type, _ c: Int) -> UnsafeMutablePointer<T> {
            let p = (mem + off).bindMemory(to: T.self, capacity: c)
            off += (c * MemoryLayout<T>.stride + 7) & ~7
            return p
        }
        blockStarts = carve(Int.self, n + 1)
        posStarts = carve(Int.self, n + 1)
        posIndex = carve(Int.self, postingsBlockSize + 1)
        lastDocs = carve(Int32.self, n)
        docs = carve(Int32.self, postingsBlockSize)
        maxTfs = carve(UInt32.self, n)
        minLens = carve(UInt32.self, n)
        tfs = carve(UInt32.self, postingsBlockSize)
        firsts = carve(UInt32.self, postingsBlockSize)
        let posCount = pos?.count ?? 0
        if n == 1 {
            // No skip table: the last doc is known once the block is decoded.
            lastDocs[0] = Int32.max - 1
            maxTfs[0] = maxTf
            minLens[0] = 1
            blockStarts[0] = 0
            blockStarts[1] = r.remaining
            posStarts[0] = 0
            posStarts[1] = posCount
        } else {
            var last: Int64 = -1
            var blockOff = 0
            var posOff = 0
            for b in 0..<n {
                last += Int64(try r.varint())
                guard last < Int64(docLimit) else { throw r.corrupt("doc id \(last) out of range") }
                lastDocs[b] = Int32(last)
                blockStarts[b] = blockOff
                posStarts[b] = posOff
                let bl = try r.varintInt(), pl = try r.varintInt()
                guard bl <= r.count, pl <= Int(Int32.max) else { throw r.corrupt("bad block length") }
                blockOff += bl
                posOff += pl
                maxTfs[b] = try r.varint32()
                minLens[b] = try r.varint32()
            }
            blockStarts[n] = blockOff
            posStarts[n] = posOff
            guard blockOff <= r.remaining else { throw r.corrupt("postings shorter than the skip table says") }
            guard posOff == 0 || posOff <= posCount else { throw r.corrupt("positions shorter than the skip table says") }
        }
        post = r.buffer.baseAddress.map { UnsafeRawPointer($0 + r.offset) } ?? UnsafeRawPointer(mem)
        postReadable = r.remaining + postSlack
        if let p = pos {
            // A list may have positions and no bytes for them (every document has one unit, so
            // every position is 0 in 0 bits): the stream is then empty, read as zeros.
            if let base = p.buffer.baseAddress {
                self.pos = UnsafeRawPointer(base)
                posReadable = p.count + posSlack
            } else {
                self.pos = UnsafeRawPointer(mem)
                posReadable = 0
            }
        } else {
            self.pos = nil
            posReadable = 0
        }
    }

    /// Blocks of a list of `df` documents.
    static func blockCount(df: Int) -> Int { (df + postingsBlockSize - 1) / postingsBlockSize }

    /// Bytes of fixed memory an iterator over `blocks` blocks needs.
    static func memorySize(blocks n: Int) -> Int {
        func a(_ b: Int) -> Int { (b + 7) & ~7 }
        return a((n + 1) * 8) * 2 + a((postingsBlockSize + 1) * 8) + a(n * 4) * 3 + a(postingsBlockSize * 4) * 3
    }

    // MARK: Documents

    /// Moves to the next document.
    @inline(__always)
    public mutating func next() throws {
        index &+= 1
        if index < count { doc = docs[index]; return }
        try load(block &+ 1)
    }

    /// Moves to the first document ≥ `target` (staying put when already there).
    @inline(__always)
    public mutating func advance(to target: Int32) throws {
        if doc >= target { return }
        if block < 0 || target > lastDocs[block] {
            guard let b = blockFor(target) else { exhaust(); return }
            try load(b)
            if target > lastDocs[b] { exhaust(); return }   // a one-block list's real end
            if doc >= target { return }
        }
        var k = index &+ 1
        while docs[k] < target { k &+= 1 }   // stops at the block's last doc, which is ≥ target
        index = k
        doc = docs[k]
    }

    private mutating func exhaust() {
        doc = Int32.max
        block = blockCount
        index = 0
        count = 0
    }

    /// Decodes block `b` and moves to its first document.
    private mutating func load(_ b: Int) throws {
        guard b < blockCount else { exhaust(); return }
        let start = blockStarts[b], end = blockStarts[b + 1]
        let n = b + 1 < blockCount ? postingsBlockSize : df - b * postingsBlockSize
        func bad(_ what: String) -> IndexError { .corrupt(file: postFile, detail: "postings block \(b): \(what)") }
        let limit = end - start
        guard limit >= 1 else { throw bad("truncated") }
        let p = post + start
        let flags = p.load(as: UInt8.self)
        let db = Int(flags & 0x3f)
        var at = 1
        var tb = 0, de = 0, te = 0
        if flags & 0x40 != 0 {
            guard at < limit else { throw bad("truncated") }
            tb = Int(p.load(fromByteOffset: at, as: UInt8.self))
            at += 1
        }
        if flags & 0x80 != 0 {
            guard at + 2 <= limit else { throw bad("truncated") }
            de = Int(p.load(fromByteOffset: at, as: UInt8.self))
            te = Int(p.load(fromByteOffset: at + 1, as: UInt8.self))
            at += 2
        }
        let gapAt = at
        let tfAt = gapAt + BitPacking.byteCount(n, db)
        at = tfAt + BitPacking.byteCount(n, tb)
        guard db <= 32, tb <= 32, at <= limit else { throw bad("bad widths \(db)/\(tb)") }
        // Gaps into `firsts` (scratch), tf - 1 into `tfs`, then the exceptions.
        BitPacking.unpack(p + gapAt, count: n, bits: db, readable: postReadable - start - gapAt, into: firsts)
        BitPacking.unpack(p + tfAt, count: n, bits: tb, readable: postReadable - start - tfAt, into: tfs)
        for e in 0..<(de + te) {
            let (out, bits) = e < de ? (firsts, db) : (tfs, tb)
            guard at < limit else { throw bad("exceptions truncated") }
            let i = Int(p.load(fromByteOffset: at, as: UInt8.self))
            at += 1
            var high: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard at < limit, shift < 35 else { throw bad("bad exception") }
                let byte = p.load(fromByteOffset: at, as: UInt8.self)
                at += 1
                high |= UInt64(byte & 0x7f) << shift
                shift += 7
                if byte < 0x80 { break }
            }
            guard i < n, bits < 32, high > 0, high < (1 &<< UInt64(32 - bits)) else { throw bad("bad exception") }
            out[i] |= UInt32(truncatingIfNeeded: high &<< UInt64(bits))
        }
        guard at == limit else { throw bad("\(limit) bytes, the lists need \(at)") }
        var acc = Int64(b == 0 ? -1 : lastDocs[b - 1])
        for k in 0..<n {
            acc &+= Int64(firsts[k]) &+ 1
            docs[k] = Int32(truncatingIfNeeded: acc)
            tfs[k] &+= 1
        }
        if blockCount == 1 {
            guard acc < Int64(docLimit) else { throw bad("doc id \(acc) out of range") }
            lastDocs[0] = Int32(acc)
        } else {
            guard acc == Int64(lastDocs[b]) else { throw bad("ends at doc \(acc), the skip table says \(lastDocs[b])") }
        }
        block = b
        count = n
        index = 0
        doc = docs[0]
    }

    // MARK: Block bounds

    /// Index of the first block (from the current one on) whose last doc is ≥ `target`, or nil.
    @inline(__always)
    public func blockFor(_ target: Int32) -> Int? {
        var lo = max(block, 0), hi = blockCount
        while lo < hi {
            let mid = (lo &+ hi) &>> 1
            if lastDocs[mid] < target { lo = mid &+ 1 } else { hi = mid }
        }
        return lo < blockCount ? lo : nil
    }

    /// The last document of block `i`.
    @inline(__always) public func blockLastDoc(_ i: Int) -> Int32 { lastDocs[i] }

    /// Bounds of block `i`: its largest tf and smallest document length.
    @inline(__always) public func blockBounds(_ i: Int) -> (maxTf: UInt32, minLength: UInt32) { (maxTfs[i], minLens[i]) }
}
