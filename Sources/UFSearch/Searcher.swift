import Collections
import UFAnalysis
import UFIndex

/// How to run a query.
public struct SearchOptions: Sendable {
    /// Hits to return (ignored with `all`).
    public var limit = 10
    /// Hits to skip.
    public var offset = 0
    /// Return every hit.
    public var all = false
    /// Attach an `Explanation` to each hit.
    public var explain = false
    /// Each ICU word of a bare term must match somewhere, rather than the whole run.
    public var loose = false
    /// Count every match exactly. When false, matches are counted exactly up to
    /// ``exactCountLimit``; past it, documents that cannot enter the top k are skipped without
    /// checking their positions, and the total becomes a lower bound (as Lucene's
    /// `totalHitsThreshold`).
    public var exactTotal = true
    /// Matches counted exactly before pruning starts, when `exactTotal` is false (by all the
    /// search's threads together).
    public var exactCountLimit = 1000
    /// Threads a top-k search (`exactTotal` false) may use: segments are handed out to them one
    /// at a time, and each keeps its own heap (matches are counted up to the limit across all).
    public var threads = 1
    /// Candidates a query must promise (estimated from its first segment's rarest list) before
    /// helper threads are woken: waking one costs more than a small query.
    public var parallelMinimumCandidates = 64
    /// With several threads, a segment of at least this many documents is split into one part
    /// per thread (a merged index is often one large segment).
    public var splitSegmentsFrom = 8192
    /// Defaults.
    public init() {}
}

/// One ranked document.
public struct SearchHit: Sendable {
    /// 1-based rank.
    public var rank: Int
    /// Global document id in this snapshot.
    public var id: Int
    /// The document's metadata.
    public var info: DocumentInfo
    /// Its score.
    public var score: Double
    /// The score's breakdown, with `--explain`.
    public var explanation: Explanation?
    /// How often the query's positive terms occur in the document, summed over them (each
    /// term's match starts, overlapping ones included), when the search counted them: a ranked
    /// page does, the exhaustive path (`--all`, `--count`, `--explain`, OR, NOT) does not.
    /// ``Searcher/detail(id:plan:snippets:width:allMatches:occurrences:)`` uses it to tell when a
    /// region around the first match holds them all.
    public var occurrences: Int?
}

/// The answer to a query.
public struct SearchResults: Sendable {
    /// Matching documents in all (a lower bound when `totalIsExact` is false).
    public var total: Int
    /// False when pruning skipped documents that might have matched (see `SearchOptions.exactTotal`).
    public var totalIsExact = true
    /// The requested page of hits, best first.
    public var hits: [SearchHit]
    /// The compiled query.
    public var plan: QueryPlan
}

/// Runs queries against one snapshot. Not thread-safe (it owns an analyser): one per thread.
public final class Searcher {
    /// The snapshot searched.
    public let snapshot: IndexSnapshot
    /// The analyser used for queries and highlighting.
    public let analyzer: Analyzer
    /// How many documents the last `run` scored exactly (the rest were pruned by block bounds).
    public internal(set) var lastScoredCount = 0
    /// The light units of the last document highlighted (kept for their storage).
    var highlightUnits: [Highlighter.LightUnit] = []
    /// The highlighter's patterns of the last plan whose hits were detailed.
    var patternCache: (sequences: [String], patterns: [Highlighter.Pattern], filter: MatchStartFilter?)?

    /// A searcher over `snapshot`.
    public init(snapshot: IndexSnapshot, analyzer: Analyzer? = nil) throws {
        self.snapshot = snapshot
        self.analyzer = try analyzer ?? Analyzer()
    }

    /// Parses, compiles and runs `query`.
    public func search(_ query: String, options: SearchOptions = SearchOptions()) throws -> SearchResults {
        let node = try QueryParser.parse(query)
        let plan = QueryCompiler(analyzer: analyzer, loose: options.loose).compile(node)
        return try run(plan, options: options)
    }

    /// Matching documents of a plan, without ranking: global ids in order.
    public func matchingIDs(_ plan: QueryPlan) throws -> [Int] {
        var out = [Int]()
        for (si, seg) in snapshot.segments.enumerated() {
            var ctx = SegmentContext(segment: seg)
            for d in try eval(plan, &ctx, nil) { out.append(snapshot.bases[si] + Int(d)) }
        }
        return out
    }

    /// Runs a compiled plan: every matching document is found (the total is exact), and
    /// the top `offset + limit` are kept in a heap. Documents are visited in id order, and a
    /// document whose best possible score (from the postings blocks' maximum tf and minimum
    /// length, plus the largest boosts) cannot beat the heap's worst is not scored at all.
    public func run(_ plan: QueryPlan, options: SearchOptions) throws -> SearchResults {
        if !options.exactTotal && !options.all && !options.explain && options.limit > 0, let conj = conjunction(plan) {
            return try runPruned(conj.sequences, filters: conj.filters, plan: plan, options: options)
        }
        let sequences = plan.positiveSequences
        let stats = try GlobalStats(snapshot: snapshot, sequences: sequences)
        let k = options.all ? Int.max : max(0, options.offset) + max(0, options.limit)
        var heap = Heap<Candidate>()
        var total = 0
        var scoredCount = 0
        for (si, seg) in snapshot.segments.enumerated() {
            var ctx = SegmentContext(segment: seg, needStarts: sequences.count >= 2)
            let docs = try eval(plan, &ctx, nil)
            total += docs.count
            if docs.isEmpty || k == 0 { continue }
            var scorer = try SegmentScorer(segment: seg, segmentIndex: si, stats: stats, sequences: sequences, matches: ctx.occurrences)
            for d in docs {
                let id = snapshot.bases[si] + Int(d)
                if heap.count >= k, let worst = heap.min {
                    let bound = try scorer.upperBound(d)
                    if bound < worst.score || (bound == worst.score && id > worst.id) { continue }
                }
                let (score, e) = try scorer.score(d, explain: options.explain)
                scoredCount += 1
                Self.offer(Candidate(score: score, id: id, segment: si, local: d, explanation: e), to: &heap, keeping: k)
            }
        }
        lastScoredCount = scoredCount
        return SearchResults(total: total, hits: try page(&heap, offset: options.offset), plan: plan)
    }

    /// The hits of a top-k heap, best first, from `offset` on, with their metadata.
    func page(_ heap: inout Heap<Candidate>, offset: Int) throws -> [SearchHit] {
        var best = [Candidate]()
        best.reserveCapacity(heap.count)
        while let c = heap.popMax() { best.append(c) }
        let start = min(offset, best.count)
        var hits = [SearchHit]()
        for (i, c) in best[start...].enumerated() {
            let info = try snapshot.segments[c.segment].info(Int(c.local))
            hits.append(SearchHit(rank: start + i + 1, id: c.id, info: info, score: c.score, explanation: c.explanation,
                                  occurrences: c.occurrences >= 0 ? Int(c.occurrences) : nil))
        }
        return hits
    }

    /// Adds `c` to a top-`k` heap when it has room or `c` beats its worst.
    @inline(__always)
    static func offer(_ c: Candidate, to heap: inout Heap<Candidate>, keeping k: Int) {
        if heap.count < k {
            heap.insert(c)
        } else if let worst = heap.min, worst < c {
            _ = heap.replaceMin(with: c)
        }
    }

    /// A scored document; `<` orders worse before better (lower score, then higher id).
    struct Candidate: Comparable {
        var score: Double
        var id: Int
        var segment: Int
        var local: Int32
        var explanation: Explanation?
        /// The query's positive terms' occurrences in the document (see ``SearchHit/occurrences``), -1: not counted.
        var occurrences: Int32 = -1

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.score != b.score ? a.score < b.score : a.id > b.id
        }

        static func == (a: Candidate, b: Candidate) -> Bool { a.score == b.score && a.id == b.id }
    }
}

extension Searcher {
    /// Parses and compiles a query.
    public func compile(_ query: String, loose: Bool = false) throws -> QueryPlan {
        QueryCompiler(analyzer: analyzer, loose: loose).compile(try QueryParser.parse(query))
    }

    /// True when global id `id` names a live document.
    public func isLive(_ id: Int) -> Bool {
        guard let (s, l) = snapshot.locate(id) else { return false }
        return !snapshot.segments[s].isDeleted(l)
    }
}
