import UFIndex

/// Finds the documents of one segment that contain a sequence of units contiguously.
///
/// The sequence is covered by index terms with known offsets: a bigram for each pair of
/// adjacent characters (taking every other pair, plus the last pair when the length is odd),
/// an end marker for a character followed by a token, the token term for a token, and for a
/// character that stands alone at the end after a token, every bigram that starts with it
/// (a prefix scan). A document matches when every covering term occurs at start + offset for
/// some start: positions make this exact, so matching never depends on word segmentation and
/// never crosses punctuation (punctuation is a unit of its own).
struct SequenceMatcher {
    /// One covering element: postings of one term, or the union of several (prefix scan).
    struct Cover {
        var keys: [[UInt8]]        // one key, or the prefix-scanned keys
        var isPrefix: Bool
        var offset: UInt32
    }

    let covers: [(key: [UInt8], isPrefix: Bool, offset: UInt32)]

    init(_ units: [QueryUnit]) {
        var out = [(key: [UInt8], isPrefix: Bool, offset: UInt32)]()
        let n = units.count
        var i = 0
        while i < n {
            switch units[i] {
            case .token(let k):
                out.append((k, false, UInt32(i)))
                i += 1
            case .char(let c):
                if i + 1 < n, case .char(let d) = units[i + 1] {
                    out.append((TermKey.bigram(c, d), false, UInt32(i)))
                    i += 2
                } else if i + 1 < n {
                    out.append((TermKey.bigram(c, 0), false, UInt32(i)))
                    i += 1
                } else if i > 0, case .char(let b) = units[i - 1] {
                    out.append((TermKey.bigram(b, c), false, UInt32(i - 1)))
                    i += 1
                } else {
                    out.append((TermKey.bigram(c, 0), true, UInt32(i)))  // prefix 'B' c: every bigram starting with c
                    i += 1
                }
            }
        }
        covers = out
    }

    /// A source of documents and positions for one cover element in one segment.
    private enum Source {
        case cursor(PostingsCursor, df: Int)
        case materialized(docs: [Int32], positions: [[UInt32]], index: Int)

        var df: Int {
            switch self {
            case .cursor(_, let df): return df
            case .materialized(let d, _, _): return d.count
            }
        }

        var doc: Int32 {
            switch self {
            case .cursor(let c, _): return c.doc
            case .materialized(let d, _, let i): return i < d.count ? (i < 0 ? -1 : d[i]) : Int32.max
            }
        }

        mutating func advance(to target: Int32) throws {
            switch self {
            case .cursor(var c, let df):
                self = .materialized(docs: [], positions: [], index: 0)  // release the copy while mutating
                try c.advance(to: target)
                self = .cursor(c, df: df)
            case .materialized(let d, let p, var i):
                if i < 0 { i = 0 }
                while i < d.count && d[i] < target { i += 1 }
                self = .materialized(docs: d, positions: p, index: i)
            }
        }

        mutating func positions(into out: inout [UInt32]) throws {
            switch self {
            case .cursor(var c, let df):
                self = .materialized(docs: [], positions: [], index: 0)
                try c.positions(into: &out)
                self = .cursor(c, df: df)
            case .materialized(_, let p, let i):
                out = p[i]
            }
        }
    }

    /// Matching documents of `segment` (deleted ones excluded) with the sorted start positions
    /// of every occurrence. With `limitDocs`, only documents in that sorted list are considered.
    func matches(in segment: SegmentReader) throws -> [(doc: Int32, starts: [UInt32])] {
        var sources = [(Source, UInt32)]()
        for c in covers {
            if c.isPrefix {
                var merged = [Int32: [UInt32]]()
                var tmp = [UInt32]()
                var prefix = c.key
                _ = prefix
                try segment.terms.prefixScan(c.key) { _, info in
                    var cur = try segment.postings(info)
                    try cur.next()
                    while !cur.isExhausted {
                        try cur.positions(into: &tmp)
                        merged[cur.doc, default: []].append(contentsOf: tmp)
                        try cur.next()
                    }
                }
                prefix = []
                if merged.isEmpty { return [] }
                let docs = merged.keys.sorted()
                sources.append((.materialized(docs: docs, positions: docs.map { merged[$0]!.sorted() }, index: -1), c.offset))
            } else {
                guard let info = try segment.terms.lookup(c.key) else { return [] }
                sources.append((.cursor(try segment.postings(info), df: info.df), c.offset))
            }
        }
        guard !sources.isEmpty else { return [] }
        sources.sort { $0.0.df < $1.0.df }
        var out = [(doc: Int32, starts: [UInt32])]()
        var target: Int32 = 0
        var pos = [UInt32]()
        var starts = [UInt32]()
        var next = [UInt32]()
        outer: while true {
            // Leapfrog: bring every source to the same document.
            var i = 0
            while i < sources.count {
                try sources[i].0.advance(to: target)
                let d = sources[i].0.doc
                if d == Int32.max { break outer }
                if d > target { target = d; i = 0; continue }
                i += 1
            }
            let doc = target
            if !segment.isDeleted(Int(doc)) {
                // Positions: starts common to all covers.
                try sources[0].0.positions(into: &pos)
                let off0 = sources[0].1
                starts.removeAll(keepingCapacity: true)
                for p in pos where p >= off0 { starts.append(p - off0) }
                var k = 1
                while k < sources.count && !starts.isEmpty {
                    try sources[k].0.positions(into: &pos)
                    let off = sources[k].1
                    next.removeAll(keepingCapacity: true)
                    var a = 0, b = 0
                    while a < starts.count && b < pos.count {
                        if pos[b] < off { b += 1; continue }
                        let q = pos[b] - off
                        if starts[a] == q { next.append(q); a += 1; b += 1 } else if starts[a] < q { a += 1 } else { b += 1 }
                    }
                    swap(&starts, &next)
                    k += 1
                }
                if !starts.isEmpty { out.append((doc, starts)) }
            }
            if target == Int32.max - 1 { break }
            target += 1
        }
        return out
    }
}
