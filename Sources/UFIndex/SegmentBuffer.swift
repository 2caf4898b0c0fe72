import CHints
import UFAnalysis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An in-memory segment being built: the term table, an occurrence log, the documents'
/// metadata and their compressed stored text. `SegmentWriter` serialises it.
///
/// Occurrences are appended to one log as they are met (sequential writes, no per-term
/// arrays touched in random order), and sorted by term with a counting sort at flush:
///
///     log      := document*                 in order
///     document := term:u32{units} term:u32*  the term at each unit position 0 ..< units (every
///                                            unit position has exactly one 'B' or 'T' term,
///                                            see `invert`), then the document's W terms
///     docStart[d] = index in the log of document d's first occurrence (docStart[docCount] = log end)
///
/// A position is not stored: it is the occurrence's index in its document (W terms: 0).
///
/// Term keys (kind byte + UTF-8) are kept back to back in one byte arena, `keyBytes[keyStart[t] ..<
/// keyStart[t + 1]]`, instead of one array per term.
public final class SegmentBuffer {
    /// Term keys by term id, back to back (see the type's comment).
    private(set) var keyBytes: [UInt8] = []
    /// Where each term's key starts in `keyBytes`, plus the end.
    private(set) var keyStart: [Int] = [0]
    /// The occurrence log.
    private(set) var log: PagedArray<UInt32>?
    /// The log's memory once the flush has sorted it, for the next buffer (see `recycle`).
    private var emptiedLog: PagedArray<UInt32>?
    /// Memory for the sorted copy of the log: the previous segment's, reused (see `recycle`).
    private var spare: PagedArray<UInt64>?
    /// Start of each document's occurrences in the log, plus the end.
    var docStart: [Int] = [0]
    /// Each document's length in ICU words (BM25's dl), by local doc id.
    private(set) var lengths: [UInt32] = []
    /// Each document's number of matching units, by local doc id.
    private(set) var unitCounts: [UInt32] = []
    /// BMP bigrams (c1 << 16 | c2) to term id.
    private var bigrams = TermHashTable<UInt32>()
    /// Han words of two BMP units (u1 << 16 | u2) to term id.
    private var pairs = TermHashTable<UInt32>()
    /// Other packed keys (astral bigrams, words and tokens of up to three UTF-16 units) to term id.
    private var packed = TermHashTable<UInt64>(capacity: 1 << 12)
    /// Words of four to seven UTF-16 units to term id.
    private var wide = TermHashTable<WideTermKey>(capacity: 1 << 12)
    /// Unpackable keys to term id.
    private var unpacked: [[UInt8]: UInt32] = [:]
    /// Per-document scratch: each occurrence's packed key (or resolved term id).
    private var pendingKeys: UnsafeMutablePointer<UInt64>
    private var pendingCapacity = 1 << 14

    /// Documents added so far.
    public private(set) var docs: [DocumentInfo] = []
    /// The stored text builder.
    let store = DocStoreBuilder()

    private var termBytes = 0

    /// Approximate bytes of memory held: an occurrence counts 8 bytes, the size of its sorted
    /// copy, which the flush needs on top of the log's 4.
    public var memoryBytes: Int {
        (log?.count ?? 0) * 8 + termBytes + bigrams.memoryBytes + pairs.memoryBytes + packed.memoryBytes + wide.memoryBytes + docs.count * 128 + store.memoryBytes
    }

    /// Creates an empty buffer whose log can grow to about `logBytes` before it has to move.
    public convenience init(logBytes: Int = 32 << 20) {
        self.init(log: PagedArray(capacity: logBytes / 8))
    }

    private init(log: PagedArray<UInt32>) {
        self.log = log
        pendingKeys = .allocate(capacity: pendingCapacity)
    }

    deinit {
        bigrams.deallocate()
        pairs.deallocate()
        packed.deallocate()
        wide.deallocate()
        pendingKeys.deallocate()
    }

    /// Number of documents.
    public var docCount: Int { docs.count }
    /// Number of distinct terms.
    public var termCount: Int { keyStart.count - 1 }

    /// The key of term `t`.
    func key(_ t: Int) -> [UInt8] { Array(keyBytes[keyStart[t]..<keyStart[t + 1]]) }

    /// Adds one analysed document with its original bytes; returns its local doc id.
    @discardableResult
    public func add(info: DocumentInfo, analysis: Analysis, original: UnsafeRawBufferPointer) throws -> Int {
        let doc = docs.count
        var info = info
        info.length = UInt32(analysis.words.count)
        docs.append(info)
        lengths.append(info.length)
        try store.add(original)
        let wantsAnchors = analysis.encoding == .utf8 && original.count > 2 * Int(unitAnchorInterval)
        let (units, anchors) = invert(analysis, anchorsIn: wantsAnchors ? original : nil)
        docs[doc].units = units
        if units > 2 * unitAnchorInterval { docs[doc].anchors = anchors }
        unitCounts.append(units)
        docStart.append(log!.count)
        return doc
    }

    // Packed keys (UInt64): kind in the top two bits — 1 bigram (c1 << 21 | c2), 2 word, 3 token
    // (length << 48, then up to three UTF-16 units at bits 32, 16 and 0). Top bits 0: the low
    // 32 bits are an already resolved term id. Bit 61 set: a compact key in the low 32 bits —
    // under kind 1 a BMP bigram (c1 << 16 | c2, for `bigrams`), under kind 2 a two-unit Han word
    // (u1 << 16 | u2, for `pairs`).

    private static let compactBigram: UInt64 = 0b011 << 61
    private static let compactPair: UInt64 = 0b101 << 61

    @inline(__always)
    private static func packedBigram(_ c1: UInt32, _ c2: UInt32) -> UInt64 {
        if c1 < 0x10000 && c2 < 0x10000 { return compactBigram | UInt64(c1 << 16 | c2) }
        return 1 << 62 | UInt64(c1) << 21 | UInt64(c2)
    }

    /// Appends the document's term occurrences to the log and returns its number of units: first
    /// every occurrence's packed key in one pass over the units, then the keys resolved to term
    /// ids in a tight loop (the hash probes are independent, so the processor overlaps their
    /// cache misses).
    ///
    /// With `original` (the document's UTF-8 bytes), also returns its anchors: about every
    /// `unitAnchorInterval` units, the first character unit from there on that is a Han
    /// character of the basic block in the original (see ``UnitAnchor``).
    private func invert(_ a: Analysis, anchorsIn original: UnsafeRawBufferPointer?) -> (units: UInt32, anchors: [UnitAnchor]) {
        let log = self.log!
        var anchors = [UnitAnchor]()
        var nextAnchor = original == nil ? UInt32.max : unitAnchorInterval
        return a.normalized.text.withUnsafeBufferPointer { t in
            a.words.withUnsafeBufferPointer { ws in
                let n = t.count
                let bound = 2 * n + 1 + ws.count  // per unit at most an end marker and a token; then W words
                if bound > pendingCapacity {
                    pendingKeys.deallocate()
                    pendingCapacity = max(bound, pendingCapacity * 2)
                    pendingKeys = .allocate(capacity: pendingCapacity)
                }
                let keys = pendingKeys
                var k = 0
                var pos: UInt32 = 0
                var prevChar: UInt32 = 0       // previous unit when it was a character unit
                var hasPrevChar = false
                var i = 0
                var w = 0
                let wc = ws.count
                // The matching units, as `Analysis.forEachUnit` defines them. Each unit gets
                // exactly one key, in position order: a character unit its bigram (with the next
                // character unit, or with 0), emitted when the next unit is met; a token itself.
                while i < n {
                    while w < wc && Int(ws[w].end) <= i { w += 1 }
                    let (c, len) = UTF16Scalar.decode(t, i)
                    if CharClass.isCharUnit(c) {
                        if hasPrevChar {
                            keys[k] = Self.packedBigram(prevChar, c); k += 1
                        }
                        if pos >= nextAnchor, let o = original {
                            let b = Int(a.normalized.origStart[i])
                            if UnitAnchor.startsBasicHan(o, at: b) {
                                anchors.append(UnitAnchor(unit: pos, byte: UInt32(b)))
                                nextAnchor = pos &+ unitAnchorInterval
                            }
                        }
                        prevChar = c; hasPrevChar = true
                        i += len
                        pos &+= 1
                        continue
                    }
                    let end: Int
                    if w < wc && Int(ws[w].start) <= i && ws[w].kind != .han {
                        // The run of non-char-unit characters inside this letter/number word.
                        let wordEnd = Int(ws[w].end)
                        var j = i + len
                        while j < wordEnd {
                            let (c2, l2) = UTF16Scalar.decode(t, j)
                            if CharClass.isCharUnit(c2) { break }
                            j += l2
                        }
                        end = j
                    } else if CharClass.isSpace(c) {
                        i += len
                        continue
                    } else {
                        end = i + len
                    }
                    if hasPrevChar {
                        keys[k] = Self.packedBigram(prevChar, 0); k += 1
                        hasPrevChar = false
                    }
                    keys[k] = textKey(kind: .token, t, i, end); k += 1
                    pos &+= 1
                    i = end
                }
                if hasPrevChar {
                    keys[k] = Self.packedBigram(prevChar, 0); k += 1
                }
                precondition(k == Int(pos), "one occurrence per unit position")
                // Han words, for BM25 (letter and number words are counted by their token terms).
                for x in 0..<wc where ws[x].kind == .han {
                    let s = Int(ws[x].start), e = Int(ws[x].end)
                    if e - s == 2 && t[s] & 0xF800 != 0xD800 && t[s + 1] & 0xF800 != 0xD800 {
                        keys[k] = Self.compactPair | UInt64(UInt32(t[s]) << 16 | UInt32(t[s + 1]))
                    } else {
                        keys[k] = textKey(kind: .word, t, s, e)
                    }
                    k += 1
                }
                log.reserve(k)
                let out = log.base + log.count
                // The probes miss the cache: start loading the slots a few keys ahead.
                let ahead = Self.prefetchDistance
                for x in 0..<min(ahead, k) { prefetch(keys[x]) }
                for x in 0..<k {
                    if x &+ ahead < k { prefetch(keys[x &+ ahead]) }
                    out[x] = resolve(keys[x])
                }
                log.count += k
                return (pos, anchors)
            }
        }
    }

    /// How many keys ahead of its lookup a key's hash slot is prefetched.
    private static let prefetchDistance = 32

    /// Prefetches the hash slot of a packed key (see `packedBigram`).
    @inline(__always)
    private func prefetch(_ p: UInt64) {
        let tag = p >> 61
        if tag == Self.compactBigram >> 61 {
            bigrams.prefetch(UInt32(truncatingIfNeeded: p))
        } else if tag == Self.compactPair >> 61 {
            pairs.prefetch(UInt32(truncatingIfNeeded: p))
        } else if p >> 62 != 0 {
            packed.prefetch(p)
        }
    }

    /// The term id of a packed key (see `packedBigram`), adding the term when it is new.
    @inline(__always)
    private func resolve(_ p: UInt64) -> UInt32 {
        let tag = p >> 61
        if tag == Self.compactBigram >> 61 {
            let c = UInt32(truncatingIfNeeded: p)
            if let id = bigrams.find(c) { return id }
            let id = newTerm(packed: 1 << 62 | UInt64(c >> 16) << 21 | UInt64(c & 0xFFFF))
            bigrams.insert(c, id)
            return id
        }
        if tag == Self.compactPair >> 61 {
            let c = UInt32(truncatingIfNeeded: p)
            if let id = pairs.find(c) { return id }
            let id = newTerm(packed: 2 << 62 | 2 << 48 | UInt64(c) << 16)
            pairs.insert(c, id)
            return id
        }
        if p >> 62 == 0 { return UInt32(truncatingIfNeeded: p) }
        if let id = packed.find(p) { return id }
        let id = newTerm(packed: p)
        packed.insert(p, id)
        return id
    }

    /// The packed key of `t[start ..< end]` as a term of `kind`, or (top bits 0) the term id
    /// of a text too long to pack into 64 bits.
    @inline(__always)
    private func textKey(kind: TermKind, _ t: UnsafeBufferPointer<UInt16>, _ start: Int, _ end: Int) -> UInt64 {
        let count = end - start
        if count <= 3 {
            var p = UInt64(kind == .word ? 2 : 3) << 62 | UInt64(count) << 48
            var shift: UInt64 = 32
            for i in start..<end { p |= UInt64(t[i]) << shift; shift &-= 16 }
            return p
        }
        return UInt64(longTermID(kind: kind, UnsafeBufferPointer(rebasing: t[start..<end])))
    }

    /// The term id of a text of more than three units (added when new).
    private func longTermID(kind: TermKind, _ units: UnsafeBufferPointer<UInt16>) -> UInt32 {
        if units.count <= 7 {
            var high = UInt64(kind == .word ? 2 : 3) << 62 | UInt64(units.count) << 48
            high |= UInt64(units[0]) << 32 | UInt64(units[1]) << 16 | UInt64(units[2])
            var low: UInt64 = 0
            var shift: UInt64 = 48
            for i in 3..<units.count { low |= UInt64(units[i]) << shift; shift &-= 16 }
            let key = WideTermKey(high: high, low: low)
            if let id = wide.find(key) { return id }
            let id = newTerm(TermKey.utf16(kind, units))
            wide.insert(key, id)
            return id
        }
        let key = TermKey.utf16(kind, units)
        if let id = unpacked[key] { return id }
        let id = newTerm(key)
        unpacked[key] = id
        termBytes += 64 + key.count
        return id
    }

    /// Adds the term of a packed key (bigram, or a word or token of up to three units).
    private func newTerm(packed p: UInt64) -> UInt32 {
        let kind = p >> 62
        if kind == 1 {
            let id = UInt32(keyStart.count - 1)
            keyBytes.append(TermKind.bigram.rawValue)
            TermKey.appendUTF8(UInt32(truncatingIfNeeded: p >> 21) & 0x1F_FFFF, to: &keyBytes)
            let c2 = UInt32(truncatingIfNeeded: p) & 0x1F_FFFF
            if c2 != 0 { TermKey.appendUTF8(c2, to: &keyBytes) }
            keyStart.append(keyBytes.count)
            termBytes += 8 + keyBytes.count - keyStart[keyStart.count - 2]
            return id
        }
        let count = Int((p >> 48) & 0x3FFF)
        var units: (UInt16, UInt16, UInt16) = (UInt16(truncatingIfNeeded: p >> 32), UInt16(truncatingIfNeeded: p >> 16),
                                               UInt16(truncatingIfNeeded: p))
        return withUnsafeBytes(of: &units) { raw in
            newTerm(TermKey.utf16(kind == 2 ? .word : .token, raw.bindMemory(to: UInt16.self).prefix(count)))
        }
    }

    private func newTerm(_ key: [UInt8]) -> UInt32 {
        let id = UInt32(keyStart.count - 1)
        keyBytes.append(contentsOf: key)
        keyStart.append(keyBytes.count)
        termBytes += 8 + key.count
        return id
    }

    /// The log sorted by term in key order (counting sort), each entry as doc:u32 (high)
    /// position:u32 (low): `runs[r] ..< runs[r + 1]` is the run of term `order[r]` (the r-th
    /// key), in (doc, position) order, so the flush reads the entries front to back. The log is
    /// released; its memory becomes the next buffer's (see `recycle`).
    func sortedByTerm(order: [Int32]) -> (entries: PagedArray<UInt64>, runs: [Int]) {
        let terms = termCount
        let log = self.log!
        let count = log.count
        var runs = [Int](repeating: 0, count: terms + 1)
        let out: PagedArray<UInt64>
        if let s = spare, s.capacity >= count { out = s } else { out = PagedArray<UInt64>(capacity: count) }
        spare = nil
        // Counts and then write cursors by term id (one random access per entry), runs by rank.
        // 32-bit cursors keep the table small enough for the cache; it is prefetched ahead.
        precondition(count < Int(UInt32.max), "occurrence log too long for 32-bit cursors")
        let next = UnsafeMutablePointer<UInt32>.allocate(capacity: max(terms, 1))
        defer { next.deallocate() }
        next.initialize(repeating: 0, count: terms)
        let src = log.base
        let ahead = Self.prefetchDistance
        for i in 0..<count {
            if i &+ ahead < count { chints_prefetch(next + Int(src[i &+ ahead])) }
            next[Int(src[i])] &+= 1
        }
        runs.withUnsafeMutableBufferPointer { runs in
            for (r, t) in order.enumerated() {
                let n = Int(next[Int(t)])
                next[Int(t)] = UInt32(truncatingIfNeeded: runs[r])
                runs[r + 1] = runs[r] + n
            }
        }
        let dst = out.base
        docStart.withUnsafeBufferPointer { docStart in unitCounts.withUnsafeBufferPointer { unitCounts in
            for d in 0..<docs.count {
                let doc = UInt64(d) << 32
                let start = docStart[d], end = docStart[d + 1]
                let positioned = start + Int(unitCounts[d])  // W terms (position 0) from here
                for i in start..<end {
                    if i &+ ahead < count { chints_prefetch(next + Int(src[i &+ ahead])) }
                    let t = Int(src[i])
                    let at = next[t]
                    dst[Int(at)] = doc | (i < positioned ? UInt64(i &- start) : 0)
                    next[t] = at &+ 1
                }
            }
        } }
        out.count = count  // every slot was written: the runs partition the log
        log.count = 0
        emptiedLog = log
        self.log = nil
        return (out, runs)
    }

    /// Hands this buffer's big arrays (the emptied log and `sorted`, the entries of its flush)
    /// to a new buffer, so the next segment reuses memory that is already faulted in.
    func recycle(sorted: PagedArray<UInt64>) -> SegmentBuffer {
        let next = SegmentBuffer(log: emptiedLog ?? PagedArray(capacity: 1 << 20))
        sorted.count = 0
        next.spare = sorted
        emptiedLog = nil
        return next
    }

    /// Term ids in key order.
    func sortedTermIDs() -> [Int32] {
        let terms = termCount
        // Sort on the first eight key bytes (big-endian, zero-padded), then on the whole key.
        var order = [(prefix: UInt64, id: Int32)]()
        order.reserveCapacity(terms)
        keyBytes.withUnsafeBufferPointer { kb in
            keyStart.withUnsafeBufferPointer { ks in
                for t in 0..<terms {
                    var p: UInt64 = 0
                    let s = ks[t], e = ks[t + 1]
                    for i in 0..<8 { p = p << 8 | (s + i < e ? UInt64(kb[s + i]) : 0) }
                    order.append((p, Int32(t)))
                }
                order.sort { a, b in
                    if a.prefix != b.prefix { return a.prefix < b.prefix }
                    let sa = ks[Int(a.id)], la = ks[Int(a.id) + 1] - sa
                    let sb = ks[Int(b.id)], lb = ks[Int(b.id) + 1] - sb
                    let c = memcmp(kb.baseAddress! + sa, kb.baseAddress! + sb, min(la, lb))
                    return c != 0 ? c < 0 : la < lb
                }
            }
        }
        return order.map(\.id)
    }
}
