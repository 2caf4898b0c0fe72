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

    /// Matching documents of `segment` (deleted ones excluded), in doc order, with the number
    /// of occurrences and, when `needStarts` or when the sequence needs several covering terms,
    /// the start positions of every occurrence.
    func matches(in segment: SegmentReader, needStarts: Bool) throws -> SequenceMatches {
        var cursors = [PostingsCursor]()
        var offsets = [UInt32]()
        for c in covers {
            let cursor: PostingsCursor
            if c.isPrefix {
                guard let m = try segment.prefixPostings(c.key) else { return SequenceMatches() }
                cursor = m
            } else {
                guard let info = try segment.terms.lookup(c.key) else { return SequenceMatches() }
                cursor = try segment.postings(info)
            }
            cursors.append(cursor)
            offsets.append(c.offset)
        }
        guard !cursors.isEmpty else { return SequenceMatches() }
        // Rarest first: it leads the leapfrog.
        let order = cursors.indices.sorted { cursors[$0].df < cursors[$1].df }
        let its = order.map { cursors[$0].iterator }
        let offs = order.map { offsets[$0] }
        return try withExtendedLifetime(cursors) {
            try Self.run(its, offs, segment: segment, needStarts: needStarts)
        }
    }

    /// The matching loop over iterators (kept alive by the caller), rarest first.
    private static func run(_ its: [UnsafeMutablePointer<PostingsIterator>], _ offs: [UInt32],
                            segment: SegmentReader, needStarts: Bool) throws -> SequenceMatches {
        let out = SequenceMatches()
        let hasDeletions = segment.tombstones != nil
        if its.count == 1 && !needStarts {
            // One covering term: its documents are the matches and its tf the occurrences.
            let it = its[0]
            out.docs.reserveCapacity(it.pointee.df)
            out.counts.reserveCapacity(it.pointee.df)
            try it.pointee.next()
            while !it.pointee.isExhausted {
                let d = it.pointee.doc
                if !hasDeletions || !segment.isDeleted(Int(d)) {
                    out.docs.append(d)
                    out.counts.append(it.pointee.tf)
                }
                try it.pointee.next()
            }
            return out
        }
        out.hasStarts = true
        let m = its.count
        var target: Int32 = 0
        var starts = [UInt32]()
        var next = [UInt32]()
        outer: while true {
            // Leapfrog: bring every iterator to the same document.
            var k = 0
            while k < m {
                let it = its[k]
                try it.pointee.advance(to: target)
                let d = it.pointee.doc
                if d == Int32.max { break outer }
                if d > target { target = d; k = 0; continue }
                k += 1
            }
            if !hasDeletions || !segment.isDeleted(Int(target)) {
                // Positions: starts common to all covers.
                let off0 = offs[0]
                starts.removeAll(keepingCapacity: true)
                for p in try its[0].pointee.positions() where p >= off0 { starts.append(p &- off0) }
                var j = 1
                while j < m && !starts.isEmpty {
                    let pos = try its[j].pointee.positions()
                    let off = offs[j]
                    next.removeAll(keepingCapacity: true)
                    var a = 0, b = 0
                    while a < starts.count && b < pos.count {
                        let pb = pos[b]
                        if pb < off { b &+= 1; continue }
                        let q = pb &- off
                        let sa = starts[a]
                        if sa == q { next.append(q); a &+= 1; b &+= 1 } else if sa < q { a &+= 1 } else { b &+= 1 }
                    }
                    swap(&starts, &next)
                    j &+= 1
                }
                if !starts.isEmpty {
                    out.docs.append(target)
                    out.counts.append(UInt32(starts.count))
                    out.starts.append(contentsOf: starts)
                    out.startEnds.append(out.starts.count)
                }
            }
            if target == Int32.max - 1 { break }
            target &+= 1
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
