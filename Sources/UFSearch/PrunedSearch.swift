import Collections
import UFIndex

/// Top-k search for a query that is one run or an AND of runs, verifying positions only where
/// it matters: matches are counted exactly up to `SearchOptions.exactCountLimit`; after that a
/// candidate (a document holding every covering term) is skipped when its block bound, and then
/// its exact word score plus a bound on its boosts (each run occurs at most as often as its
/// rarest cover), cannot beat the heap's worst hit. Only candidates that could enter the top k
/// have their positions read. Scores are the same as the exhaustive path's.
extension Searcher {
    /// The runs of a plan that is one run or an AND of runs, else nil.
    static func conjunction(_ plan: QueryPlan) -> [SequenceQuery]? {
        switch plan {
        case .sequence(let s):
            return [s]
        case .and(let children):
            var out = [SequenceQuery]()
            for c in children {
                guard case .sequence(let s) = c else { return nil }
                out.append(s)
            }
            return out.isEmpty ? nil : out
        default:
            return nil
        }
    }

    func runPruned(_ sequences: [SequenceQuery], plan: QueryPlan, options: SearchOptions) throws -> SearchResults {
        let stats = try GlobalStats(snapshot: snapshot, sequences: sequences)
        let k = max(0, options.offset) + max(0, options.limit)
        let limit = max(0, options.exactCountLimit)
        let matchers = sequences.map { SequenceMatcher($0.units) }
        // A lone run of one piece (two characters, or one token) matches exactly the documents
        // holding that term, so its count is known before any document is visited, and top-k
        // can skip documents from the first full heap on.
        var knownTotal: Int? = nil
        if matchers.count == 1, matchers[0].pieces.count == 1, let piece = matchers[0].pieces.first, !piece.isPrefix {
            var n = 0
            for seg in snapshot.segments {
                if let info = try seg.terms.lookup(piece.key) { n += try seg.liveDocFreq(info) }
            }
            knownTotal = n
        }
        let needStarts = sequences.count >= 2
        var heap = Heap<Candidate>()
        var total = 0
        var exact = true
        var scoredCount = 0
        var bounds = [UInt32](repeating: 0, count: sequences.count)
        var noParts: [TermExplanation]? = nil
        // The heap's worst hit, once it holds k.
        var full = false
        var worstScore = -Double.infinity
        var worstID = Int.max
        for (si, seg) in snapshot.segments.enumerated() {
            var cursors = [SequenceCursor]()
            for m in matchers {
                guard let c = try SequenceCursor(m, segment: seg) else { break }
                cursors.append(c)
            }
            guard cursors.count == matchers.count else { continue }
            var scorer = try SegmentScorer(segment: seg, segmentIndex: si, stats: stats, sequences: sequences, matches: [:])
            let hasDeletions = seg.tombstones != nil
            let base = snapshot.bases[si]
            // Unretained references: the array keeps the cursors alive, and the hot loop then
            // touches no reference counts.
            let refs = cursors.map { Unmanaged.passUnretained($0) }
            var target: Int32 = 0
            outer: while true {
                // A candidate of every run.
                var d = target
                var i = 0
                while i < refs.count {
                    let c = try refs[i]._withUnsafeGuaranteedRef { try $0.candidate(from: d) }
                    if c == Int32.max { break outer }
                    if c > d { d = c; i = 0; continue }
                    i += 1
                }
                target = d == Int32.max - 1 ? Int32.max : d + 1
                if hasDeletions && seg.isDeleted(Int(d)) { continue }
                let id = base + Int(d)
                let counting = knownTotal == nil && total < limit
                let dl = scorer.length(d)
                var words: Double? = nil
                if !counting && full {
                    // Past the exact count: skip, unverified, what cannot beat the worst hit.
                    let b = try scorer.upperBound(d)
                    if b < worstScore || (b == worstScore && id > worstID) { exact = false; continue }
                    let ws = try scorer.wordScore(d, dl: dl, parts: &noParts)
                    for j in 0..<refs.count { bounds[j] = refs[j]._withUnsafeGuaranteedRef { $0.minCoverTf } }
                    let e = scorer.bound(words: ws, dl: dl, occurrenceBounds: bounds)
                    if e < worstScore || (e == worstScore && id > worstID) { exact = false; continue }
                    words = ws
                }
                // Verify every run.
                var isMatch = true
                for j in 0..<refs.count {
                    let (n, starts) = try refs[j]._withUnsafeGuaranteedRef { c in (try c.verify(needStarts: needStarts), c.starts) }
                    if n == 0 { isMatch = false; break }
                    scorer.setOccurrences(j, count: UInt32(n), starts: starts)
                }
                guard isMatch else { continue }
                total += 1
                if words == nil && full {
                    // Counted; not scored when its block cannot beat the worst hit.
                    let b = try scorer.upperBound(d)
                    if b < worstScore || (b == worstScore && id > worstID) { continue }
                }
                let ws = try words ?? scorer.wordScore(d, dl: dl, parts: &noParts)
                let score = scorer.score(words: ws, dl: dl)
                scoredCount += 1
                let c = Candidate(score: score, id: id, segment: si, local: d, explanation: nil)
                if heap.count < k {
                    heap.insert(c)
                } else if let w = heap.min, w < c {
                    _ = heap.replaceMin(with: c)
                }
                if heap.count >= k, let w = heap.min {
                    full = true
                    worstScore = w.score
                    worstID = w.id
                }
            }
            withExtendedLifetime(cursors) {}
        }
        lastScoredCount = scoredCount
        var r = SearchResults(total: knownTotal ?? total, hits: try page(&heap, offset: options.offset), plan: plan)
        r.totalIsExact = knownTotal != nil || exact
        return r
    }
}
