import Collections
import Dispatch
import Synchronization
import UFIndex

/// Top-k search for a query that is one run or an AND of runs (and `title:`, `path:` and `year:`
/// filters, tested on each candidate's record before its positions), verifying positions only where
/// it matters: matches are counted exactly up to `SearchOptions.exactCountLimit`; after that a
/// candidate (a document holding every covering term) is skipped when its block bound, and then
/// its exact word score plus a bound on its boosts (each run occurs at most as often as its
/// rarest cover), cannot beat the heap's worst hit. Only candidates that could enter the top k
/// have their positions read. Scores are the same as the exhaustive path's.
extension Searcher {
    /// The runs and record filters of a plan that is one run or an AND of runs and `title:`,
    /// `path:` or `year:` filters (at least one run), else nil.
    func conjunction(_ plan: QueryPlan) -> (sequences: [SequenceQuery], filters: [RecordFilter])? {
        switch plan {
        case .sequence(let s):
            return ([s], [])
        case .and(let children):
            var out = [SequenceQuery]()
            var filters = [RecordFilter]()
            for c in children {
                if case .sequence(let s) = c {
                    out.append(s)
                } else if let f = RecordFilter(c, normalizer: analyzer.normalizer) {
                    filters.append(f)
                } else {
                    return nil
                }
            }
            return out.isEmpty ? nil : (out, filters)
        default:
            return nil
        }
    }

    func runPruned(_ sequences: [SequenceQuery], filters: [RecordFilter], plan: QueryPlan, options: SearchOptions) throws -> SearchResults {
        let stats = try GlobalStats(snapshot: snapshot, sequences: sequences)
        let k = max(0, options.offset) + max(0, options.limit)
        let limit = max(0, options.exactCountLimit)
        let matchers = sequences.map { SequenceMatcher($0.units) }
        // A lone run of one piece (two characters, or one token) matches exactly the documents
        // holding that term, so its count is known before any document is visited, and it is
        // ranked with no positions (SinglePieceSearch.swift).
        if matchers.count == 1, filters.isEmpty, matchers[0].pieces.count == 1, let piece = matchers[0].pieces.first, !piece.isPrefix {
            var n = 0
            for seg in snapshot.segments {
                if let info = try seg.terms.lookup(piece.key) { n += try seg.liveDocFreq(info) }
            }
            return try runSinglePiece(sequences[0], piece: piece.key, stats: stats, total: n, plan: plan, options: options)
        }
        // Segments (large ones split in parts, one per thread) are claimed one at a time by this
        // thread and, with `threads` > 1, by helper threads; each thread keeps its own heap and
        // count over the parts it claims, and the heaps merge into one ranking (the same as one
        // heap's: ties break on the id).
        // A title filter normalises with the searcher's own normaliser: one thread only.
        let threads = filters.contains(where: \.needsNormalizer) ? 1 : options.threads
        let work = SliceWork(segmentSizes: snapshot.segments.map(\.docCount), threads: threads,
                             splitFrom: options.splitSegmentsFrom)
        let run = { [self] (thread: Int, opened: ((Int) -> Void)?) in
            work.results[thread] = Result {
                try self.searchSlice(work, opened: opened, sequences: sequences, matchers: matchers, filters: filters, stats: stats,
                                     k: k, countLimit: limit)
            }
        }
        // Helpers are called only when the first segment's rarest list promises enough
        // candidates: waking a thread costs more than a small query.
        var called = work.results.count == 1
        var posted = [(helper: Int, ticket: Int)]()
        let callHelpers = { (candidates: Int) in
            guard !called else { return }
            called = true
            guard candidates * work.segmentSizes.count >= options.parallelMinimumCandidates else { return }
            for t in 1..<work.results.count {
                // A helper still busy with an earlier search's job is not waited for.
                work.willBegin()
                if let ticket = SearchHelpers.shared.post(t - 1, { if work.begin() { run(t, nil) }; work.end() }) {
                    posted.append((t - 1, ticket))
                } else {
                    work.end()
                }
            }
        }
        run(0, callHelpers)
        // Every part is claimed: a job no helper has started yet is taken back rather than
        // waited for (a parked thread can take tens of microseconds to wake).
        for p in posted where SearchHelpers.shared.retract(p.helper, ticket: p.ticket) { work.end() }
        work.waitForHelpers()
        let parts = try work.results.compactMap { try $0?.get() }
        var heap = Heap<Candidate>()
        for part in parts {
            for c in part.heap.unordered { Self.offer(c, to: &heap, keeping: k) }
        }
        let total = parts.reduce(0) { $0 + $1.total }
        let exact = parts.allSatisfy(\.exact)
        lastScoredCount = parts.reduce(0) { $0 + $1.scored }
        var r = SearchResults(total: total, hits: try page(&heap, offset: options.offset), plan: plan)
        r.totalIsExact = exact
        return r
    }

    /// One thread's top k, how many matches it counted, whether that count is exact, and how
    /// many documents it scored.
    struct SliceResult {
        var heap: Heap<Candidate>
        var total: Int
        var exact: Bool
        var scored: Int
    }

    /// The segments (or parts) handed out to the threads of one top-k search, and each thread's
    /// result. The searching thread waits for the helpers that took their job; jobs not yet
    /// taken when it is done are retracted.
    final class SliceWork: @unchecked Sendable {
        private let next = Atomic<Int>(0)
        /// Matches counted by all threads (the exact count limit is shared).
        let counted = Atomic<Int>(0)
        /// The best k-th score any thread's full heap holds, as bits (scores are ≥ 0, whose
        /// bit patterns order as the values do): no document below it can rank.
        let floorBits = Atomic<UInt64>(0)
        /// Each segment's documents.
        let segmentSizes: [Int]
        /// The units of work: a segment, or with several threads a large segment's part
        /// (local documents `lo ..< hi`).
        let units: [(segment: Int, lo: Int32, hi: Int32)]
        private let condition = Condition()
        private var active = 0
        /// Each thread's result (nil: it took no segment); slot 0 is the searching thread's.
        let results: UnsafeMutableBufferPointer<Result<SliceResult, Error>?>

        init(segmentSizes: [Int], threads: Int, splitFrom: Int) {
            self.segmentSizes = segmentSizes
            let t = max(1, threads)
            var units = [(segment: Int, lo: Int32, hi: Int32)]()
            for (si, n) in segmentSizes.enumerated() {
                let parts = t > 1 && n >= max(splitFrom, t) ? t : 1
                for p in 0..<parts {
                    units.append((si, Int32(n * p / parts), p + 1 == parts ? Int32.max : Int32(n * (p + 1) / parts)))
                }
            }
            self.units = units
            results = .allocate(capacity: max(1, min(t, units.count)))
            results.initialize(repeating: nil)
        }

        deinit {
            _ = results.deinitialize()
            results.deallocate()
        }

        /// The next unclaimed unit, or nil.
        func claim() -> (segment: Int, lo: Int32, hi: Int32)? {
            let i = next.add(1, ordering: .relaxed).oldValue
            return i < units.count ? units[i] : nil
        }

        /// Raises the shared floor to `score` (a thread's k-th best).
        func raiseFloor(_ score: Double) {
            let bits = max(0, score).bitPattern
            var cur = floorBits.load(ordering: .relaxed)
            while bits > cur {
                let (exchanged, original) = floorBits.compareExchange(expected: cur, desired: bits, ordering: .relaxed)
                if exchanged { break }
                cur = original
            }
        }

        /// The shared floor.
        var floor: Double { Double(bitPattern: floorBits.load(ordering: .relaxed)) }

        /// A helper is about to be posted (the searcher waits for it from now on).
        func willBegin() {
            condition.lock()
            active += 1
            condition.unlock()
        }

        /// A helper starts: true when parts are left for it.
        func begin() -> Bool {
            next.load(ordering: .relaxed) < units.count
        }

        /// A helper is done (whether or not it took segments).
        func end() {
            condition.lock()
            active -= 1
            if active == 0 { condition.broadcast() }
            condition.unlock()
        }

        /// Called by the searching thread once every part is claimed and unstarted jobs are
        /// retracted: waits for the helpers still running.
        func waitForHelpers() {
            condition.lock()
            while active > 0 { condition.wait() }
            condition.unlock()
        }
    }

    /// Top-k over the parts this thread claims from `work`, counting matches exactly while all
    /// threads together have counted fewer than `countLimit` (0: the count is known elsewhere,
    /// skip from the first full heap on). `opened`, when given, hears the first part's estimate
    /// of candidates (the df of its rarest leading list) once its cursors are open.
    func searchSlice(_ work: SliceWork, opened: ((Int) -> Void)?, sequences: [SequenceQuery], matchers: [SequenceMatcher],
                     filters: [RecordFilter], stats: GlobalStats, k: Int, countLimit limit: Int) throws -> SliceResult {
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
        var openedCalled = false
        while let (si, lo, hi) = work.claim() {
            let seg = snapshot.segments[si]
            var cursors = [SequenceCursor]()
            for m in matchers {
                guard let c = try SequenceCursor(m, segment: seg) else { break }
                cursors.append(c)
            }
            guard cursors.count == matchers.count else { continue }
            if !openedCalled, let opened {
                openedCalled = true
                opened(cursors.map(\.leadDocFreq).min() ?? 0)
            }
            var scorer = try SegmentScorer(segment: seg, segmentIndex: si, stats: stats, sequences: sequences, matches: [:])
            let hasDeletions = seg.tombstones != nil
            let base = snapshot.bases[si]
            // Unretained references: the array keeps the cursors alive, and the hot loop then
            // touches no reference counts.
            let refs = cursors.map { Unmanaged.passUnretained($0) }
            var target = lo
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
                if d >= hi { break outer }
                target = d == Int32.max - 1 ? Int32.max : d + 1
                if hasDeletions && seg.isDeleted(Int(d)) { continue }
                if !filters.isEmpty, try !RecordFilter.all(filters, pass: seg.docs, d) { continue }
                let id = base + Int(d)
                let counting = limit > 0 && work.counted.load(ordering: .relaxed) < limit
                // What cannot beat this thread's worst hit, or the k-th best of another's, cannot rank.
                let floor = work.floor
                let pruning = full || floor > 0
                func loses(_ b: Double) -> Bool {
                    b < floor || (full && (b < worstScore || (b == worstScore && id > worstID)))
                }
                let dl = scorer.length(d)
                var words: Double? = nil
                if !counting && pruning {
                    // Past the exact count: skip, unverified, what cannot beat the worst hit, and
                    // with it every later candidate its block bound holds for.
                    if loses(try scorer.upperBound(d)) {
                        exact = false
                        let through = scorer.boundValidThrough
                        if through >= target { target = through == Int32.max ? Int32.max : through + 1 }
                        continue
                    }
                    let ws = try scorer.wordScore(d, dl: dl, parts: &noParts)
                    for j in 0..<refs.count { bounds[j] = refs[j]._withUnsafeGuaranteedRef { $0.minCoverTf } }
                    if loses(scorer.bound(words: ws, dl: dl, occurrenceBounds: bounds)) { exact = false; continue }
                    words = ws
                }
                // Verify every run.
                var isMatch = true
                var occurrences = 0
                for j in 0..<refs.count {
                    let (n, starts) = try refs[j]._withUnsafeGuaranteedRef { c in (try c.verify(needStarts: needStarts), c.starts) }
                    if n == 0 { isMatch = false; break }
                    occurrences &+= n
                    scorer.setOccurrences(j, count: UInt32(n), starts: starts)
                }
                guard isMatch else { continue }
                total += 1
                if counting { work.counted.add(1, ordering: .relaxed) }
                if words == nil && pruning {
                    // Counted; not scored when its block cannot beat the worst hit.
                    if loses(try scorer.upperBound(d)) { continue }
                }
                let ws = try words ?? scorer.wordScore(d, dl: dl, parts: &noParts)
                let score = scorer.score(words: ws, dl: dl)
                scoredCount += 1
                Self.offer(Candidate(score: score, id: id, segment: si, local: d, explanation: nil,
                                     occurrences: Int32(clamping: occurrences)), to: &heap, keeping: k)
                if heap.count >= k, let w = heap.min {
                    full = true
                    worstScore = w.score
                    worstID = w.id
                    work.raiseFloor(w.score)
                }
            }
            withExtendedLifetime(cursors) {}
        }
        return SliceResult(heap: heap, total: total, exact: exact, scored: scoredCount)
    }
}
