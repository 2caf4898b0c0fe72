import UFIndex

/// Finds the documents of one segment that contain a sequence of units contiguously.
///
/// Every match holds certain index terms at known offsets from its start (its pieces): a
/// bigram for each pair of adjacent characters, an end marker for a character followed by a
/// token, the token term for a token, and for a character that stands alone at the end after
/// a token, every bigram that starts with it (a prefix scan). In each segment the cheapest set
/// of pieces that pins down every unit (by their positions' bytes) becomes the covers, whose
/// positions are intersected; the other pieces only filter candidate documents. Positions make
/// this exact, so matching never depends on word segmentation and never crosses punctuation
/// (punctuation is a unit of its own).
struct SequenceMatcher {
    /// A term every match holds at `offset`, pinning down `span` units from there (with
    /// `isPrefix`, any term whose key starts with `key`).
    struct Piece {
        let key: [UInt8]
        let isPrefix: Bool
        let offset: UInt32
        let span: Int
    }

    /// The pieces, by offset.
    let pieces: [Piece]
    /// Units in the sequence.
    let unitCount: Int

    init(_ units: [QueryUnit]) {
        var out = [Piece]()
        let n = units.count
        for i in 0..<n {
            switch units[i] {
            case .token(let k):
                out.append(Piece(key: k, isPrefix: false, offset: UInt32(i), span: 1))
            case .char(let c):
                if i + 1 < n, case .char(let d) = units[i + 1] {
                    out.append(Piece(key: TermKey.bigram(c, d), isPrefix: false, offset: UInt32(i), span: 2))
                } else if i + 1 < n {
                    out.append(Piece(key: TermKey.bigram(c, 0), isPrefix: false, offset: UInt32(i), span: 1))
                } else if i == 0 || { if case .token = units[i - 1] { return true } else { return false } }() {
                    // prefix 'B' c: every bigram starting with c
                    out.append(Piece(key: TermKey.bigram(c, 0), isPrefix: true, offset: UInt32(i), span: 1))
                }
            }
        }
        pieces = out
        unitCount = n
    }

    /// The pieces to intersect positions of: the cheapest (by `cost`) set whose spans cover
    /// every unit, in offset order. Spans may overlap.
    func covers(cost: (Int) -> Int) -> [Int] {
        let n = unitCount
        var best = [Int](repeating: Int.max, count: n + 1)
        var via = [(piece: Int, from: Int)](repeating: (-1, -1), count: n + 1)
        best[0] = 0
        var byStart = [[Int]](repeating: [], count: n)
        for (i, p) in pieces.enumerated() { byStart[Int(p.offset)].append(i) }
        for i in 0..<n {
            for pi in byStart[i] {
                let c = cost(pi), end = i + pieces[pi].span
                // Units before i covered, or (for a span of two) through i already.
                for from in pieces[pi].span == 2 ? [i, i + 1] : [i] where best[from] != Int.max && best[from] + c < best[end] {
                    best[end] = best[from] + c
                    via[end] = (pi, from)
                }
            }
        }
        var chosen = [Int]()
        var at = n
        while at > 0, via[at].piece >= 0 {
            chosen.append(via[at].piece)
            at = via[at].from
        }
        return chosen.reversed()
    }

    /// Matching documents of `segment` (deleted ones excluded), in doc order, with the number
    /// of occurrences and, when `needStarts` or when the sequence needs several covering terms,
    /// the start positions of every occurrence.
    func matches(in segment: SegmentReader, needStarts: Bool) throws -> SequenceMatches {
        let out = SequenceMatches()
        guard let c = try SequenceCursor(self, segment: segment) else { return out }
        let hasDeletions = segment.tombstones != nil
        out.hasStarts = needStarts || c.coverCount > 1
        var target: Int32 = 0
        while true {
            let d = try c.candidate(from: target)
            if d == Int32.max { break }
            if !hasDeletions || !segment.isDeleted(Int(d)) {
                let n = try c.verify(needStarts: out.hasStarts)
                if n > 0 {
                    out.docs.append(d)
                    out.counts.append(UInt32(n))
                    if out.hasStarts {
                        out.starts.append(contentsOf: c.starts)
                        out.startEnds.append(out.starts.count)
                    }
                }
            }
            if d == Int32.max - 1 { break }
            target = d &+ 1
        }
        return out
    }
}

/// Walks the candidate documents of one sequence in one segment (documents holding every
/// covering term) and verifies each on demand from positions. Owns its postings cursors.
final class SequenceCursor {
    private let cursors: [PostingsCursor]
    // Raw tables (no array buffers to retain in the hot loops), freed in deinit:
    /// Iterators over the covers, rarest first, and each cover's offset in the sequence.
    private let its: UnsafeMutablePointer<UnsafeMutablePointer<PostingsIterator>>
    private let offs: UnsafeMutablePointer<UInt32>
    private let m: Int
    /// Iterators over covers and bridges together, rarest first: they lead the leapfrog.
    private let lead: UnsafeMutablePointer<UnsafeMutablePointer<PostingsIterator>>
    private let leadCount: Int
    private var cap = 256
    private var scratch: UnsafeMutablePointer<UInt32>
    private var spare: UnsafeMutablePointer<UInt32>
    private let order: UnsafeMutablePointer<Int>
    private var found = 0

    /// Number of covering terms.
    var coverCount: Int { m }

    /// Documents in the rarest list that leads: at most this many candidates.
    var leadDocFreq: Int { lead[0].pointee.df }

    /// Opens the pieces of `matcher` in `segment`, choosing covers by the size of their
    /// positions; nil when one of them is absent (no match).
    init?(_ matcher: SequenceMatcher, segment: SegmentReader) throws {
        // One cursor per distinct piece.
        var opened = [(key: [UInt8], isPrefix: Bool, cursor: PostingsCursor, cost: Int)]()
        var slot = [Int]()
        for p in matcher.pieces {
            if let j = opened.firstIndex(where: { $0.isPrefix == p.isPrefix && $0.key == p.key }) {
                slot.append(j)
                continue
            }
            if p.isPrefix {
                guard let c = try segment.prefixPostings(p.key) else { return nil }
                opened.append((p.key, true, c, 0))
            } else {
                guard let info = try segment.terms.lookup(p.key) else { return nil }
                opened.append((p.key, false, try segment.postings(info), info.posLength))
            }
            slot.append(opened.count - 1)
        }
        let chosen = matcher.covers { opened[slot[$0]].cost }
        guard !chosen.isEmpty else { return nil }
        let cs = chosen.map { opened[slot[$0]].cursor }
        let os = chosen.map { matcher.pieces[$0].offset }
        let rank = cs.indices.sorted { cs[$0].df < cs[$1].df }
        cursors = opened.map(\.cursor)
        m = cs.count
        its = .allocate(capacity: m)
        offs = .allocate(capacity: m)
        for (i, r) in rank.enumerated() {
            its[i] = cs[r].iterator
            offs[i] = os[r]
        }
        // Every distinct piece leads the leapfrog (covers and filters alike), rarest first.
        let leading = cursors.sorted { $0.df < $1.df }
        leadCount = leading.count
        lead = .allocate(capacity: leadCount)
        for (i, c) in leading.enumerated() { lead[i] = c.iterator }
        scratch = .allocate(capacity: cap)
        spare = .allocate(capacity: cap)
        order = .allocate(capacity: m)
    }

    deinit {
        its.deallocate()
        offs.deallocate()
        lead.deallocate()
        scratch.deallocate()
        spare.deallocate()
        order.deallocate()
    }

    /// Moves every cover to the first document ≥ `target` that holds them all (leapfrog,
    /// rarest first); returns it, or `Int32.max` when there is none.
    @inline(__always)
    func candidate(from target: Int32) throws -> Int32 {
        var t = target
        var k = 0
        let m = leadCount
        while k < m {
            let it = lead[k]
            try it.pointee.advance(to: t)
            let d = it.pointee.doc
            if d == Int32.max { return d }
            if d > t { t = d; k = 0; continue }
            k &+= 1
        }
        return t
    }

    /// The smallest tf of the covers and bridges in the current candidate: a bound on the
    /// sequence's occurrences there.
    @inline(__always)
    var minCoverTf: UInt32 {
        var t = UInt32.max
        for i in 0..<leadCount { t = min(t, lead[i].pointee.tf) }
        return t
    }

    /// The start positions found by the last `verify(needStarts: true)`.
    var starts: UnsafeBufferPointer<UInt32> { UnsafeBufferPointer(start: scratch, count: found) }

    /// Occurrences of the sequence in the current candidate (0: not a match). A single cover
    /// needs no positions unless `needStarts`; otherwise positions are intersected, from the
    /// cover with the fewest occurrences on (its starts are then in ``starts``).
    func verify(needStarts: Bool) throws -> Int {
        let m = self.m
        if m == 1 && !needStarts {
            found = 0
            return Int(its[0].pointee.tf)
        }
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
            scratch.deallocate(); spare.deallocate()
            scratch = .allocate(capacity: cap); spare = .allocate(capacity: cap)
        }
        let off0 = offs[order[0]]
        var n = 0
        for p in first where p >= off0 { scratch[n] = p &- off0; n &+= 1 }
        var j = 1
        while j < m && n > 0 {
            let c = order[j]
            n = SequenceMatcher.intersect(scratch, n, try its[c].pointee.positions(), minus: offs[c], into: spare)
            swap(&scratch, &spare)
            j &+= 1
        }
        found = n
        return n
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
