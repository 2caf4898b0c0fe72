/// The decoding state of one term's postings, read straight from the mapped .post and .pos
/// files (grammar in PostingsFormat.swift). It holds only raw pointers and integers, so hot
/// loops can drive it through an `UnsafeMutablePointer` with no reference counting; the memory
/// belongs to the ``PostingsCursor`` that made it, which must outlive its use.
///
/// A block is decoded whole on entry (documents and tfs); its positions are decoded whole the
/// first time one document's positions are asked for. Every length, width and document read
/// from disk is checked before use: corrupt bytes throw `IndexError.corrupt` naming the file.
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


    // MARK: Positions

    /// The current document's positions (empty for terms without positions). Valid until the
    /// iterator moves to another block. A block's positions are decoded as far as needed,
    /// jumping over runs of 8 documents by the block's skip marks when it has them.
    @inline(__always)
    public mutating func positions() throws -> UnsafeBufferPointer<UInt32> {
        guard pos != nil, doc >= 0, doc != Int32.max else { return UnsafeBufferPointer(start: nil, count: 0) }
        if posBlock != block { try beginPositions() }
        if posMarkCount > 0 && index >= posDecoded + positionSkipInterval { try jump() }
        while posDecoded <= index { try decodeNextPositions() }
        return UnsafeBufferPointer(start: posBuf! + posIndex[index], count: posIndex[index &+ 1] &- posIndex[index])
    }

    private func badPositions(_ what: String) -> IndexError {
        .corrupt(file: posFile, detail: "positions of block \(block): \(what)")
    }

    /// Checks the current block's positions header and prepares to decode its stream.
    private mutating func beginPositions() throws {
        guard let base = pos else { return }
        let b = block, n = count
        let start = posStarts[b], end = posStarts[b + 1]
        var total = 0
        for k in 0..<n {
            posIndex[k] = total
            total &+= Int(tfs[k])
        }
        posIndex[n] = total
        let chunks = (total - n + postingsBlockSize - 1) / postingsBlockSize
        let marks = total >= positionSkipMinimum ? (n - 1) / positionSkipInterval : 0
        let markWidth = end - start < positionMarkNarrowLimit ? 2 : 4
        let streamAt = start + chunks + markWidth * marks
        // Every gap takes at least one bit: check that before allocating anything.
        guard streamAt <= end, total - n <= (end - streamAt) * 8 else { throw badPositions("\(total) positions in \(end - start) bytes") }
        for c in 0..<chunks {
            let k = base.load(fromByteOffset: start + c, as: UInt8.self)
            guard k <= 31 else { throw badPositions("bad Rice parameter \(k)") }
        }
        guard units != nil, docs[n - 1] >= 0, (Int(docs[n - 1]) + 1) * 4 <= unitsBytes else {
            throw badPositions("no unit count for document \(docs[n - 1])")
        }
        if posCap < total {
            posBuf?.deallocate()
            posCap = max(total, 2 * posCap, 256)
            posBuf = .allocate(capacity: posCap)
        }
        posKs = start
        posMarksAt = start + chunks
        posMarkCount = marks
        posMarkWidth = markWidth
        posStreamBit = streamAt * 8
        posBit = posStreamBit
        posEndBit = end * 8
        gapIndex = 0
        posDecoded = 0
        posBlock = b
    }

    /// Skip mark `j` (1-based): the stream bit offset of document 16 × j.
    @inline(__always) private func mark(_ j: Int, _ base: UnsafeRawPointer) -> Int {
        posMarkWidth == 2
            ? Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: posMarksAt + 2 * (j - 1), as: UInt16.self)))
            : Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: posMarksAt + 4 * (j - 1), as: UInt32.self)))
    }

    /// Moves the decoder to the last skip mark at or before the current document.
    private mutating func jump() throws {
        guard let base = pos else { return }
        let j = min(index / positionSkipInterval, posMarkCount)
        let d = j * positionSkipInterval
        guard j >= 1, d > posDecoded else { return }
        let mark = mark(j, base)
        guard posStreamBit + mark <= posEndBit else { throw badPositions("skip mark past the stream") }
        posBit = posStreamBit + mark
        posDecoded = d
        gapIndex = posIndex[d] - d
    }

    /// Decodes the positions of the next document of the block: its first position, then its gaps.
    private mutating func decodeNextPositions() throws {
        guard let base = pos, let out = posBuf, let unitTable = units else { return }
        let d = posDecoded
        if posMarkCount > 0 && d > 0 && d % positionSkipInterval == 0 && d / positionSkipInterval <= posMarkCount {
            // Reached in sequence: the skip mark must say the same (so `check` validates marks).
            let j = d / positionSkipInterval
            guard posStreamBit + mark(j, base) == posBit else { throw badPositions("skip mark \(j) disagrees with the stream") }
        }
        var w = posIndex[d]
        let e = posIndex[d + 1]
        if w < e {
            var bits = RiceReader(base: base, readable: posReadable, bit: posBit, endBit: posEndBit)
            var g = gapIndex
            do {
                let u = UInt32(littleEndian: unitTable.loadUnaligned(fromByteOffset: Int(docs[d]) &* 4, as: UInt32.self))
                let tf = tfs[d]
                var p = tf == 1 ? bits.truncated(over: u) : try bits.next(k: Rice.firstParameter(units: u, tf: tf))
                out[w] = p
                w &+= 1
                while w < e {
                    // A run of gaps sharing one parameter: the rest of the document or of the chunk.
                    let k = Int(base.load(fromByteOffset: posKs &+ (g &>> 7), as: UInt8.self))
                    let run = min(e &- w, postingsBlockSize &- (g & (postingsBlockSize &- 1)))
                    p = try bits.gaps(run, k: k, from: p, into: out + w)
                    w &+= run
                    g &+= run
                }
            } catch {
                throw badPositions("Rice code runs past the block")
            }
            guard bits.bit <= posEndBit else { throw badPositions("Rice code runs past the block") }
            posBit = bits.bit
            gapIndex = g
        }
        posDecoded = d + 1
        if posDecoded == count && posEndBit - posBit >= 8 { throw badPositions("bit stream longer than its values") }
    }
}

/// Reads Rice-coded values from a least-significant-bit-first stream (grammar in
/// PostingsFormat.swift), loading whole words where `readable` allows and zeros past it.
struct RiceReader {
    let base: UnsafeRawPointer
    let readable: Int
    var bit: Int
    let endBit: Int

    /// At least 57 valid bits from `bit` on.
    @inline(__always) func word() -> UInt64 {
        let byte = bit &>> 3
        var w: UInt64
        if byte &+ 8 <= readable {
            w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
        } else {
            w = 0
            var i = 0
            while i < 8 && byte &+ i < readable {
                w |= UInt64(base.load(fromByteOffset: byte &+ i, as: UInt8.self)) &<< UInt64(8 &* i)
                i &+= 1
            }
        }
        return w &>> UInt64(bit & 7)
    }

    /// The next value in truncated binary over 0 ..< u (see the grammar).
    @inline(__always) mutating func truncated(over u: UInt32) -> UInt32 {
        let (short, cut) = Rice.truncated(u)
        guard u > 1 else { return 0 }
        let w = word()
        var x = w & ((1 &<< UInt64(short)) &- 1)
        if x < cut {
            bit &+= short
        } else {
            x = (x &<< 1 | (w &>> UInt64(short)) & 1) &- cut
            bit &+= short &+ 1
        }
        return UInt32(truncatingIfNeeded: x)
    }

    /// Decodes `n` gaps coded with parameter `k`, writing their running sums from `p0` to `out`;
    /// returns the last sum. Decodes from a 64-bit buffer, reloading only when a code does not
    /// fit in what is left of it.
    @inline(__always) mutating func gaps(_ n: Int, k: Int, from p0: UInt32, into out: UnsafeMutablePointer<UInt32>) throws -> UInt32 {
        var p = p0
        let kk = UInt64(k)
        let mask: UInt64 = (1 &<< kk) &- 1
        var buf = word()
        var avail = 57
        var i = 0
        while i < n {
            let z = buf.trailingZeroBitCount
            let need = z &+ 1 &+ k
            if need > avail {
                // Reload at the current bit; a code longer than a word takes the general path.
                buf = word()
                avail = 57
                if (buf & 0x01ff_ffff_ffff_ffff).trailingZeroBitCount &+ 1 &+ k > 57 {
                    p &+= try next(k: k)
                    out[i] = p
                    i &+= 1
                    buf = word()
                }
                continue
            }
            p &+= UInt32(truncatingIfNeeded: (UInt64(z) &<< kk) | ((buf &>> UInt64(z &+ 1)) & mask))
            out[i] = p
            i &+= 1
            buf &>>= UInt64(need)
            avail &-= need
            bit &+= need
        }
        return p
    }

    /// The next value, coded with parameter `k`.
    @inline(__always) mutating func next(k: Int) throws -> UInt32 {
        var q: UInt64 = 0
        var w = word() & 0x01ff_ffff_ffff_ffff
        while w == 0 {
            q &+= 57
            bit &+= 57
            guard bit <= endBit else { throw IndexError.corrupt(file: "positions", detail: "Rice code runs past its block") }
            w = word() & 0x01ff_ffff_ffff_ffff
        }
        let z = w.trailingZeroBitCount
        q &+= UInt64(z)
        bit &+= z &+ 1
        var r: UInt64 = 0
        if k > 0 {
            let z1 = z &+ 1
            if z1 &+ k <= 57 {
                r = (w &>> UInt64(z1)) & ((1 &<< UInt64(k)) &- 1)
            } else {
                r = word() & ((1 &<< UInt64(k)) &- 1)
            }
            bit &+= k
        }
        return UInt32(truncatingIfNeeded: (q &<< UInt64(k)) | r)
    }
}

/// Owns a ``PostingsIterator`` (and its memory) at a stable address, and offers the same
/// operations. Hot loops take ``iterator`` and work through the pointer.
public final class PostingsCursor {
    /// The iterator, at a fixed address for the cursor's lifetime.
    public let iterator: UnsafeMutablePointer<PostingsIterator>
    private let memory: UnsafeMutableRawPointer
    /// Encoded bytes this cursor reads and owns (in-memory lists), freed with it.
    private var owned: [UnsafeMutableRawBufferPointer] = []

    /// Opens a cursor over `postings` (this term's postings) and optionally `positions` (its
    /// positions), `df` documents, each below `docLimit`. `postSlack` and `posSlack` say how many
    /// bytes past each region may be loaded (the rest of the mapped file).
    public init(postings: ByteReader, positions: ByteReader?, df: Int, maxTf: UInt32 = .max, docLimit: Int = Int(Int32.max),
                units: UnsafeRawBufferPointer? = nil, postSlack: Int = 0, posSlack: Int = 0) throws {
        memory = .allocate(byteCount: PostingsIterator.memorySize(blocks: PostingsIterator.blockCount(df: max(df, 0))), alignment: 8)
        do {
            let it = try PostingsIterator(post: postings, pos: positions, df: df, maxTf: maxTf, docLimit: docLimit,
                                          units: units, postSlack: postSlack, posSlack: posSlack, memory: memory)
            iterator = .allocate(capacity: 1)
            iterator.initialize(to: it)
        } catch {
            memory.deallocate()
            throw error
        }
    }

    /// A cursor over postings encoded in memory (see ``PostingsEncoder``): the bytes are copied
    /// and owned by the cursor.
    convenience init(encoded post: [UInt8], positions pos: [UInt8], df: Int, maxTf: UInt32, docLimit: Int,
                     units: UnsafeRawBufferPointer) throws {
        func copy(_ a: [UInt8]) -> UnsafeMutableRawBufferPointer {
            let m = UnsafeMutableRawBufferPointer.allocate(byteCount: max(a.count, 1), alignment: 8)
            a.withUnsafeBytes { if let b = $0.baseAddress { m.baseAddress!.copyMemory(from: b, byteCount: a.count) } }
            return m
        }
        let pm = copy(post), qm = copy(pos)
        do {
            try self.init(postings: ByteReader(UnsafeRawBufferPointer(rebasing: pm[0..<post.count]), file: "(merged postings)"),
                          positions: ByteReader(UnsafeRawBufferPointer(rebasing: qm[0..<pos.count]), file: "(merged positions)"),
                          df: df, maxTf: maxTf, docLimit: docLimit, units: units)
        } catch {
            pm.deallocate()
            qm.deallocate()
            throw error
        }
        owned = [pm, qm]
    }

    deinit {
        for m in owned { m.deallocate() }
        iterator.pointee.posBuf?.deallocate()
        iterator.deinitialize(count: 1)
        iterator.deallocate()
        memory.deallocate()
    }

    /// The current document (segment-local), or `Int32.max` when exhausted.
    public var doc: Int32 { iterator.pointee.doc }
    /// The term frequency in the current document.
    public var tf: UInt32 { iterator.pointee.tf }
    /// Number of documents in the list.
    public var df: Int { iterator.pointee.df }
    /// Number of blocks.
    public var blockCount: Int { iterator.pointee.blockCount }
    /// True when exhausted.
    public var isExhausted: Bool { iterator.pointee.isExhausted }

    /// Moves to the next document.
    public func next() throws { try iterator.pointee.next() }
    /// Moves to the first document ≥ `target`.
    public func advance(to target: Int32) throws { try iterator.pointee.advance(to: target) }
    /// The last document of block `i`.
    public func blockLastDoc(_ i: Int) -> Int32 { iterator.pointee.blockLastDoc(i) }
    /// Bounds of block `i`: its largest tf and smallest document length.
    public func blockBounds(_ i: Int) -> (maxTf: UInt32, minLength: UInt32) { iterator.pointee.blockBounds(i) }

    /// The current document's positions, copied into `out` (cleared first).
    public func positions(into out: inout [UInt32]) throws {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: try iterator.pointee.positions())
    }
}
