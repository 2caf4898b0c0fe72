import UFAnalysis

/// An in-memory segment being built: the term table, an occurrence log, the documents'
/// metadata and their compressed stored text. `SegmentWriter` serialises it.
///
/// Occurrences are appended to one log as they are met (sequential writes, no per-term
/// arrays touched in random order), and sorted by term with a counting sort at flush:
///
///     log      := occurrence*               documents in order, positions in order within each
///     occurrence := term:u32 (high half) position:u32 (low half)   one UInt64; W terms have position 0
///     docStart[d] = index in the log of document d's first occurrence (docStart[docCount] = log end)
public final class SegmentBuffer {
    /// Term keys by term id (kind byte + UTF-8).
    var keys: [[UInt8]] = []
    /// Kind byte of each term.
    var kinds: [UInt8] = []
    /// The occurrence log.
    var log: [UInt64] = []
    /// Start of each document's occurrences in the log, plus the end.
    var docStart: [Int] = [0]
    /// Packed keys (bigrams, and words of up to three UTF-16 units) to term id.
    private var packed = TermHashTable()
    /// Unpackable keys to term id.
    private var unpacked: [[UInt8]: UInt32] = [:]

    /// Documents added so far.
    public private(set) var docs: [DocumentInfo] = []
    /// The stored text builder.
    let store = DocStoreBuilder()

    private var termBytes = 0

    /// Approximate bytes of memory held (the flush briefly needs a sorted copy of the log on top).
    public var memoryBytes: Int {
        log.count * 8 + termBytes + packed.memoryBytes + docs.count * 128 + store.memoryBytes
    }

    /// Creates an empty buffer.
    public init() {}

    deinit { packed.deallocate() }

    /// Number of documents.
    public var docCount: Int { docs.count }
    /// Number of distinct terms.
    public var termCount: Int { keys.count }

    /// Adds one analysed document with its original bytes; returns its local doc id.
    @discardableResult
    public func add(info: DocumentInfo, analysis: Analysis, original: UnsafeRawBufferPointer) throws -> Int {
        let doc = docs.count
        var info = info
        info.length = UInt32(analysis.words.count)
        docs.append(info)
        try store.add(original)
        invert(analysis)
        docStart.append(log.count)
        return doc
    }

    /// Appends the document's term occurrences to the log.
    private func invert(_ a: Analysis) {
        let text = a.normalized.text
        var pos: UInt32 = 0
        var prevChar: UInt32 = 0       // previous unit when it was a character unit
        var prevCharPos: UInt32 = 0
        var hasPrevChar = false
        text.withUnsafeBufferPointer { t in
            a.forEachUnit { u in
                switch u.kind {
                case .char:
                    let c = UTF16Scalar.decode(t, Int(u.start)).scalar
                    if hasPrevChar {
                        log.append(UInt64(termID(packedBigram(prevChar, c), bigram: (prevChar, c))) << 32 | UInt64(prevCharPos))
                    }
                    prevChar = c; prevCharPos = pos; hasPrevChar = true
                case .word, .punct:
                    if hasPrevChar {
                        log.append(UInt64(termID(packedBigram(prevChar, 0), bigram: (prevChar, 0))) << 32 | UInt64(prevCharPos))
                        hasPrevChar = false
                    }
                    let id = termID(kind: .token, UnsafeBufferPointer(rebasing: t[Int(u.start)..<Int(u.end)]))
                    log.append(UInt64(id) << 32 | UInt64(pos))
                }
                pos &+= 1
            }
            if hasPrevChar {
                log.append(UInt64(termID(packedBigram(prevChar, 0), bigram: (prevChar, 0))) << 32 | UInt64(prevCharPos))
            }
            // Han words, for BM25 (letter and number words are counted by their token terms).
            for w in a.words where w.kind == .han {
                log.append(UInt64(termID(kind: .word, UnsafeBufferPointer(rebasing: t[Int(w.start)..<Int(w.end)]))) << 32)
            }
        }
    }

    /// The log sorted by term (counting sort), each entry as doc:u32 (high) position:u32 (low);
    /// `runs[t] ..< runs[t + 1]` is term t's run, in (doc, position) order.
    func sortedByTerm() -> (entries: [UInt64], runs: [Int]) {
        let terms = keys.count
        var runs = [Int](repeating: 0, count: terms + 1)
        for e in log { runs[Int(e >> 32) + 1] += 1 }
        for t in 0..<terms { runs[t + 1] += runs[t] }
        var next = runs
        let count = log.count
        let out = [UInt64](unsafeUninitializedCapacity: count) { out, initialized in
            next.withUnsafeMutableBufferPointer { next in
                log.withUnsafeBufferPointer { log in
                    for d in 0..<docs.count {
                        let doc = UInt64(d) << 32
                        for i in docStart[d]..<docStart[d + 1] {
                            let e = log[i]
                            let t = Int(e >> 32)
                            out[next[t]] = doc | (e & 0xFFFF_FFFF)
                            next[t] += 1
                        }
                    }
                }
            }
            initialized = count  // every slot was written: the runs partition the log
        }
        return (out, runs)
    }

    @inline(__always)
    private func packedBigram(_ c1: UInt32, _ c2: UInt32) -> UInt64 {
        1 << 62 | UInt64(c1) << 21 | UInt64(c2)
    }

    private func termID(_ packedKey: UInt64, bigram: (UInt32, UInt32)) -> UInt32 {
        if let id = packed.find(packedKey) { return id }
        let id = newTerm(TermKey.bigram(bigram.0, bigram.1))
        packed.insert(packedKey, id)
        return id
    }

    private func termID(kind: TermKind, _ units: UnsafeBufferPointer<UInt16>) -> UInt32 {
        if units.count <= 3 {
            var p = UInt64(kind == .word ? 2 : 3) << 62 | UInt64(units.count) << 48
            var shift: UInt64 = 32
            for u in units { p |= UInt64(u) << shift; shift &-= 16 }
            if let id = packed.find(p) { return id }
            let id = newTerm(TermKey.utf16(kind, units))
            packed.insert(p, id)
            return id
        }
        let key = TermKey.utf16(kind, units)
        if let id = unpacked[key] { return id }
        let id = newTerm(key)
        unpacked[key] = id
        return id
    }

    private func newTerm(_ key: [UInt8]) -> UInt32 {
        let id = UInt32(keys.count)
        keys.append(key)
        kinds.append(key[0])
        termBytes += 48 + key.count
        return id
    }

    /// Term ids in key order.
    func sortedTermIDs() -> [Int] {
        keys.indices.sorted { keys[$0].lexicographicallyPrecedes(keys[$1]) }
    }
}
