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
    /// The covering terms: a key (or, with `isPrefix`, every key starting with it) at an offset.
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
    private final class Source {
        var cursor: PostingsCursor?
        let docs: [Int32]
        let positions: [[UInt32]]
        var index = -1
        let df: Int
        let offset: UInt32

        init(cursor: PostingsCursor, df: Int, offset: UInt32) {
            self.cursor = cursor; self.df = df; self.offset = offset; docs = []; positions = []
        }

        init(docs: [Int32], positions: [[UInt32]], offset: UInt32) {
            cursor = nil; self.docs = docs; self.positions = positions; df = docs.count; self.offset = offset
        }

        var doc: Int32 {
            if let c = cursor { return c.doc }
            return index < 0 ? -1 : (index < docs.count ? docs[index] : Int32.max)
        }

        var tf: UInt32 { cursor?.tf ?? UInt32(positions[index].count) }

        func advance(to target: Int32) throws {
            if cursor != nil { try cursor!.advance(to: target); return }
            if index < 0 { index = 0 }
            while index < docs.count && docs[index] < target { index += 1 }
        }

        func positions(into out: inout [UInt32]) throws {
            if cursor != nil { try cursor!.positions(into: &out); return }
            out = positions[index]
        }
    }

    /// Matching documents of `segment` (deleted ones excluded), in doc order, with the number
    /// of occurrences and, when `needStarts` or when the sequence needs several covering terms,
    /// the start positions of every occurrence.
    func matches(in segment: SegmentReader, needStarts: Bool) throws -> SequenceMatches {
        var sources = [Source]()
        for c in covers {
            if c.isPrefix {
                var merged = [Int32: [UInt32]]()
                var tmp = [UInt32]()
                try segment.terms.prefixScan(c.key) { _, info in
                    let cur = try segment.postings(info)
                    try cur.next()
                    while !cur.isExhausted {
                        try cur.positions(into: &tmp)
                        merged[cur.doc, default: []].append(contentsOf: tmp)
                        try cur.next()
                    }
                }
                if merged.isEmpty { return SequenceMatches() }
                let docs = merged.keys.sorted()
                sources.append(Source(docs: docs, positions: docs.map { merged[$0]!.sorted() }, offset: c.offset))
            } else {
                guard let info = try segment.terms.lookup(c.key) else { return SequenceMatches() }
                sources.append(Source(cursor: try segment.postings(info), df: info.df, offset: c.offset))
            }
        }
        guard !sources.isEmpty else { return SequenceMatches() }
        sources.sort { $0.df < $1.df }
        let out = SequenceMatches()
        if sources.count == 1 && !needStarts {
            // One covering term: its documents are the matches and its tf the occurrences.
            let s = sources[0]
            try s.advance(to: 0)
            while s.doc != Int32.max {
                if !segment.isDeleted(Int(s.doc)) { out.docs.append(s.doc); out.counts.append(s.tf) }
                if s.doc == Int32.max - 1 { break }
                try s.advance(to: s.doc + 1)
            }
            return out
        }
        out.hasStarts = true
        var target: Int32 = 0
        var pos = [UInt32]()
        var starts = [UInt32]()
        var next = [UInt32]()
        outer: while true {
            // Leapfrog: bring every source to the same document.
            var i = 0
            while i < sources.count {
                try sources[i].advance(to: target)
                let d = sources[i].doc
                if d == Int32.max { break outer }
                if d > target { target = d; i = 0; continue }
                i += 1
            }
            let doc = target
            if !segment.isDeleted(Int(doc)) {
                // Positions: starts common to all covers.
                try sources[0].positions(into: &pos)
                let off0 = sources[0].offset
                starts.removeAll(keepingCapacity: true)
                for p in pos where p >= off0 { starts.append(p - off0) }
                var k = 1
                while k < sources.count && !starts.isEmpty {
                    try sources[k].positions(into: &pos)
                    let off = sources[k].offset
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
                if !starts.isEmpty {
                    out.docs.append(doc)
                    out.counts.append(UInt32(starts.count))
                    out.starts.append(contentsOf: starts)
                    out.startEnds.append(out.starts.count)
                }
            }
            if target == Int32.max - 1 { break }
            target += 1
        }
        return out
    }
}

/// The matches of one sequence in one segment, in doc order (flat arrays; a class, so the
/// scorer reads it without copying).
final class SequenceMatches {
    /// Matching documents.
    var docs: [Int32] = []
    /// Occurrences in each.
    var counts: [UInt32] = []
    /// True when start positions were collected.
    var hasStarts = false
    /// Start positions of all occurrences, document after document.
    var starts: [UInt32] = []
    /// End index in `starts` of each document's positions.
    var startEnds: [Int] = []

    /// The start positions of the i-th matching document.
    func starts(_ i: Int) -> ArraySlice<UInt32> {
        guard hasStarts else { return [] }
        return starts[(i == 0 ? 0 : startEnds[i - 1])..<startEnds[i]]
    }
}
