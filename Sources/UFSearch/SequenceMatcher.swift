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
        // Scratch: candidate starts, and the covers in the order their positions are read.
        var cap = 256
        var starts = UnsafeMutablePointer<UInt32>.allocate(capacity: cap)
        var next = UnsafeMutablePointer<UInt32>.allocate(capacity: cap)
        let order = UnsafeMutablePointer<Int>.allocate(capacity: m)
        defer { starts.deallocate(); next.deallocate(); order.deallocate() }
        outer: while true {
            // Leapfrog: bring every iterator to the same document.
            var k = 0
            while k < m {
                let it = its[k]
                try it.pointee.advance(to: target)
                let d = it.pointee.doc
                if d == Int32.max { break outer }
                if d > target { target = d; k = 0; continue }
                k &+= 1
            }
            if !hasDeletions || !segment.isDeleted(Int(target)) {
                // Positions, the cover with the fewest first: starts common to all covers.
                for i in 0..<m { order[i] = i }
                if m > 1 {
                    for i in 1..<m {
                        let x = order[i], tx = its[x].pointee.tf
                        var j = i
                        while j > 0 && its[order[j - 1]].pointee.tf > tx { order[j] = order[j - 1]; j -= 1 }
                        order[j] = x
                    }
                }
                let first = try its[order[0]].pointee.positions()
                if first.count > cap {
                    cap = first.count * 2
                    starts.deallocate(); next.deallocate()
                    starts = .allocate(capacity: cap); next = .allocate(capacity: cap)
                }
                let off0 = offs[order[0]]
                var n = 0
                for p in first where p >= off0 { starts[n] = p &- off0; n &+= 1 }
                var j = 1
                while j < m && n > 0 {
                    let c = order[j]
                    let pos = try its[c].pointee.positions()
                    let off = offs[c]
                    n = Self.intersect(starts, n, pos, minus: off, into: next)
                    swap(&starts, &next)
                    j &+= 1
                }
                if n > 0 {
                    out.docs.append(target)
                    out.counts.append(UInt32(n))
                    out.starts.append(contentsOf: UnsafeBufferPointer(start: starts, count: n))
                    out.startEnds.append(out.starts.count)
                }
            }
            if target == Int32.max - 1 { break }
            target &+= 1
        }
        return out
    }
}

extension SequenceMatcher {
    /// Writes to `out` the values of `a` (sorted, `n` of them) that equal some p - `off` for p
    /// in `b` (sorted); returns how many. Gallops through `b` when it is much longer.
    @inline(__always)
    static func intersect(_ a: UnsafeMutablePointer<UInt32>, _ n: Int, _ b: UnsafeBufferPointer<UInt32>, minus off: UInt32,
                          into out: UnsafeMutablePointer<UInt32>) -> Int {
        guard let bp = b.baseAddress else { return 0 }
        var lo = 0
        let hi = b.count
        while lo < hi && bp[lo] < off { lo &+= 1 }   // positions before the offset cannot start a match
        var o = 0
        if (hi - lo) > 8 * n {
            for i in 0..<n {
                let want = a[i] &+ off
                var l = lo, h = hi
                while l < h {
                    let mid = (l &+ h) &>> 1
                    if bp[mid] < want { l = mid &+ 1 } else { h = mid }
                }
                if l < hi && bp[l] == want { out[o] = a[i]; o &+= 1 }
                lo = l
                if lo == hi { break }
            }
            return o
        }
        var i = 0, j = lo
        while i < n && j < hi {
            let x = a[i], y = bp[j] &- off
            out[o] = x
            o &+= x == y ? 1 : 0
            i &+= x <= y ? 1 : 0
            j &+= y <= x ? 1 : 0
        }
        return o
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

    private var frozen: UnsafeMutableRawPointer?

    /// The start positions of the i-th matching document.
    func starts(_ i: Int) -> ArraySlice<UInt32> {
        guard hasStarts else { return [] }
        return starts[(i == 0 ? 0 : startEnds[i - 1])..<startEnds[i]]
    }

    /// A raw copy of the tables for the scorer's inner loop, valid while this object lives.
    /// Take it once the matches are complete.
    lazy var table: MatchTable = {
        let n = docs.count, s = starts.count
        let size = n * 4 + n * 4 + (n + 1) * 8 + s * 4 + 16
        let m = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        frozen = m
        let ends = m.bindMemory(to: Int.self, capacity: n + 1)
        ends[0] = 0
        for i in 0..<n { ends[i + 1] = hasStarts ? startEnds[i] : 0 }
        let d = (m + (n + 1) * 8).bindMemory(to: Int32.self, capacity: n)
        docs.withUnsafeBufferPointer { if n > 0 { d.update(from: $0.baseAddress!, count: n) } }
        let c = (m + (n + 1) * 8 + n * 4).bindMemory(to: UInt32.self, capacity: n)
        counts.withUnsafeBufferPointer { if n > 0 { c.update(from: $0.baseAddress!, count: n) } }
        let st = (m + (n + 1) * 8 + n * 8).bindMemory(to: UInt32.self, capacity: max(s, 1))
        starts.withUnsafeBufferPointer { if s > 0 { st.update(from: $0.baseAddress!, count: s) } }
        return MatchTable(docs: d, counts: c, starts: st, ends: ends, count: n)
    }()

    deinit { frozen?.deallocate() }
}

/// Raw views of a ``SequenceMatches`` (owned by it).
struct MatchTable {
    /// Matching documents.
    let docs: UnsafePointer<Int32>
    /// Occurrences in each.
    let counts: UnsafePointer<UInt32>
    /// Start positions, document after document (none when not collected).
    let starts: UnsafePointer<UInt32>
    /// ends[i + 1]: end in `starts` of document i's positions; ends[0] = 0.
    let ends: UnsafePointer<Int>
    /// Number of documents.
    let count: Int

    /// The start positions of the i-th matching document.
    @inline(__always) func starts(_ i: Int) -> UnsafeBufferPointer<UInt32> {
        UnsafeBufferPointer(start: starts + ends[i], count: ends[i + 1] - ends[i])
    }
}
