import UFAnalysis

/// An in-memory segment being built: the term table, one postings stream per term, the
/// documents' metadata and their compressed stored text. `SegmentWriter` serialises it.
///
/// In-memory postings grammar (per term, appended document by document):
///
///     stream  := entry*
///     entry   := docDelta:varint tf:varint [posDelta:varint]{tf, only for B and T terms}
///
/// docDelta is the local doc id minus the previous entry's (the first is doc + 1); positions
/// are unit positions, delta-coded within the document starting from 0.
public final class SegmentBuffer {
    /// Term keys by term id (kind byte + UTF-8).
    var keys: [[UInt8]] = []
    /// Postings stream by term id.
    var streams: [[UInt8]] = []
    /// Last doc added to each term's stream (-1 when none).
    var lastDoc: [Int32] = []
    /// Document frequency by term id.
    var docFreq: [UInt32] = []
    /// Packed keys (see `pack`) to term id.
    private var packed: [UInt64: UInt32] = [:]
    /// Unpackable keys to term id.
    private var unpacked: [[UInt8]: UInt32] = [:]

    /// Documents added so far.
    public private(set) var docs: [DocumentInfo] = []
    /// The stored text builder.
    var store = DocStoreBuilder()

    /// Approximate bytes of memory held.
    public private(set) var memoryBytes = 0

    // Per-document scratch.
    private var occ: [UInt64] = []

    /// Creates an empty buffer.
    public init() {}

    /// Number of documents.
    public var docCount: Int { docs.count }
    /// Number of distinct terms.
    public var termCount: Int { keys.count }

    /// Adds one analysed document with its original bytes; returns its local doc id.
    @discardableResult
    public func add(info: DocumentInfo, analysis: Analysis, original: UnsafeRawBufferPointer) throws -> Int {
        let doc = Int32(docs.count)
        var info = info
        info.length = UInt32(analysis.words.count)
        docs.append(info)
        try store.add(original)
        invert(analysis, doc: doc)
        memoryBytes += 96 + info.path.utf8.count + info.title.utf8.count
        return Int(doc)
    }

    /// Collects the document's term occurrences and appends them to the terms' streams.
    private func invert(_ a: Analysis, doc: Int32) {
        occ.removeAll(keepingCapacity: true)
        let text = a.normalized.text
        // Matching units: bigrams of adjacent character units, end markers, tokens.
        var pos: UInt32 = 0
        var prevChar: UInt32 = 0       // previous unit when it was a character unit
        var prevCharPos: UInt32 = 0
        var hasPrevChar = false
        text.withUnsafeBufferPointer { t in
            a.forEachUnit { u in
                switch u.kind {
                case .char:
                    let c = Self.scalar(t, Int(u.start))
                    if hasPrevChar {
                        occ.append(UInt64(termID(packedBigram(prevChar, c), bigram: (prevChar, c))) << 32 | UInt64(prevCharPos))
                    }
                    prevChar = c; prevCharPos = pos; hasPrevChar = true
                case .word, .punct:
                    if hasPrevChar {
                        occ.append(UInt64(termID(packedBigram(prevChar, 0), bigram: (prevChar, 0))) << 32 | UInt64(prevCharPos))
                        hasPrevChar = false
                    }
                    let id = termID(kind: .token, UnsafeBufferPointer(rebasing: t[Int(u.start)..<Int(u.end)]))
                    occ.append(UInt64(id) << 32 | UInt64(pos))
                }
                pos &+= 1
            }
            if hasPrevChar {
                occ.append(UInt64(termID(packedBigram(prevChar, 0), bigram: (prevChar, 0))) << 32 | UInt64(prevCharPos))
            }
            // Han words, for BM25 (letter and number words are counted by their token terms).
            for w in a.words where w.kind == .han {
                let id = termID(kind: .word, UnsafeBufferPointer(rebasing: t[Int(w.start)..<Int(w.end)]))
                occ.append(UInt64(id) << 32)
            }
        }
        occ.sort()
        var i = 0
        let n = occ.count
        while i < n {
            let term = Int(occ[i] >> 32)
            var j = i + 1
            while j < n && Int(occ[j] >> 32) == term { j += 1 }
            let tf = j - i
            let before = streams[term].count
            streams[term].appendVarint(UInt64(doc - lastDoc[term]))
            streams[term].appendVarint(UInt64(tf))
            if keys[term][0] != TermKind.word.rawValue {
                var last: UInt32 = 0
                for k in i..<j {
                    let p = UInt32(truncatingIfNeeded: occ[k])
                    streams[term].appendVarint(UInt64(p - last))
                    last = p
                }
            }
            memoryBytes += streams[term].count - before
            lastDoc[term] = doc
            docFreq[term] += 1
            i = j
        }
    }

    @inline(__always)
    static func scalar(_ t: UnsafeBufferPointer<UInt16>, _ i: Int) -> UInt32 {
        let u = t[i]
        if u & 0xFC00 == 0xD800, i + 1 < t.count, t[i + 1] & 0xFC00 == 0xDC00 {
            return 0x10000 + (UInt32(u & 0x3FF) << 10 | UInt32(t[i + 1] & 0x3FF))
        }
        return UInt32(u)
    }

    @inline(__always)
    private func packedBigram(_ c1: UInt32, _ c2: UInt32) -> UInt64 {
        1 << 62 | UInt64(c1) << 21 | UInt64(c2)
    }

    private func termID(_ packedKey: UInt64, bigram: (UInt32, UInt32)) -> UInt32 {
        if let id = packed[packedKey] { return id }
        let id = newTerm(TermKey.bigram(bigram.0, bigram.1))
        packed[packedKey] = id
        return id
    }

    private func termID(kind: TermKind, _ units: UnsafeBufferPointer<UInt16>) -> UInt32 {
        if units.count <= 3 {
            var p = UInt64(kind == .word ? 2 : 3) << 62 | UInt64(units.count) << 48
            var shift: UInt64 = 32
            for u in units { p |= UInt64(u) << shift; shift &-= 16 }
            if let id = packed[p] { return id }
            let id = newTerm(TermKey.utf16(kind, units))
            packed[p] = id
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
        streams.append([])
        lastDoc.append(-1)
        docFreq.append(0)
        memoryBytes += 120 + key.count
        return id
    }

    /// Term ids in key order.
    func sortedTermIDs() -> [Int] {
        keys.indices.sorted { keys[$0].lexicographicallyPrecedes(keys[$1]) }
    }
}
