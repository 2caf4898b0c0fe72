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
            hits.append(SearchHit(rank: start + i + 1, id: c.id, info: info, score: c.score, explanation: c.explanation))
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

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.score != b.score ? a.score < b.score : a.id > b.id
        }

        static func == (a: Candidate, b: Candidate) -> Bool { a.score == b.score && a.id == b.id }
    }

    // MARK: - Boolean evaluation per segment

    struct SegmentContext {
        let segment: SegmentReader
        /// Whether sequences must report start positions (for the proximity boost).
        var needStarts = false
        /// Matches of each sequence, by normalised text.
        var occurrences: [String: SequenceMatches] = [:]
    }

    /// Sorted local doc ids matching `plan` (deleted excluded), optionally within `domain`.
    func eval(_ plan: QueryPlan, _ ctx: inout SegmentContext, _ domain: [Int32]?) throws -> [Int32] {
        switch plan {
        case .nothing:
            return []
        case .sequence(let s):
            let m: SequenceMatches
            if let seen = ctx.occurrences[s.normalized] {
                m = seen
            } else {
                m = try SequenceMatcher(s.units).matches(in: ctx.segment, needStarts: ctx.needStarts)
                ctx.occurrences[s.normalized] = m
            }
            return domain.map { intersect(m.docs, $0) } ?? m.docs
        case .title, .path, .year:
            return try filter(plan, ctx.segment, domain)
        case .and(let children):
            // Positive text first (cheapest to narrow), then filters, then exclusions.
            let positives = children.filter { if case .not = $0 { return false }; return true }
            let ordered = positives.filter { !$0.isFilter } + positives.filter(\.isFilter)
            var cur = domain
            for c in ordered {
                cur = try eval(c, &ctx, cur)
                if cur!.isEmpty { return [] }
            }
            var result = cur ?? []
            for case .not(let c) in children {
                let excluded = try eval(c, &ctx, result)
                result = subtract(result, excluded)
            }
            return result
        case .or(let children):
            var acc = [Int32]()
            for c in children { acc = union(acc, try eval(c, &ctx, domain)) }
            return acc
        case .not(let c):
            // A bare exclusion (not produced by the parser): everything live but c.
            let all = (0..<Int32(ctx.segment.docCount)).filter { !ctx.segment.isDeleted(Int($0)) }
            return subtract(domain ?? all, try eval(c, &ctx, domain))
        }
    }

    /// The documents of `domain` (else every live one) that pass a `title:`, `path:` or
    /// `year:` filter (see ``RecordFilter``).
    private func filter(_ plan: QueryPlan, _ seg: SegmentReader, _ domain: [Int32]?) throws -> [Int32] {
        guard let f = RecordFilter(plan, normalizer: analyzer.normalizer) else { return [] }
        let docs = domain ?? (0..<Int32(seg.docCount)).filter { !seg.isDeleted(Int($0)) }
        return try docs.filter { try RecordFilter.all([f], pass: seg.docs, $0) }
    }

    /// True when `haystack` holds `needle` contiguously.
    static func contains<C: RandomAccessCollection>(_ haystack: C, _ needle: [C.Element]) -> Bool where C.Element: Equatable, C.Index == Int {
        guard let first = needle.first else { return true }
        let m = needle.count, start = haystack.startIndex
        guard m <= haystack.count else { return false }
        for i in start...(haystack.endIndex - m) where haystack[i] == first {
            var k = 1
            while k < m && haystack[i + k] == needle[k] { k += 1 }
            if k == m { return true }
        }
        return false
    }
}

/// A `title:`, `path:` or `year:` filter, tested on a document's record alone: `path:` holds
/// when the path's UTF-8 bytes contain the text's, `title:` when the normalised title's code
/// units contain the (normalised) text's, `year:` when the document's year is known and in range.
enum RecordFilter {
    case path([UInt8])
    case year(lo: Int, hi: Int)
    /// Titles are normalised with this normaliser, which must not be used by two threads at once.
    case title([UInt16], Normalizer)

    /// The filter of a `.title`, `.path` or `.year` plan, else nil.
    init?(_ plan: QueryPlan, normalizer: Normalizer) {
        switch plan {
        case .path(let p): self = .path(Array(p.utf8))
        case .year(let l, let h): self = .year(lo: l ?? Int.min, hi: h ?? Int.max)
        case .title(let t): self = .title(Array(t.utf16), normalizer)
        default: return nil
        }
    }

    /// True for a filter that uses a normaliser (a search must test it on one thread).
    var needsNormalizer: Bool { if case .title = self { true } else { false } }

    /// True when local document `d` of `table` passes every filter of `filters` (its record read once).
    @inline(__always)
    static func all(_ filters: [RecordFilter], pass table: DocTableReader, _ d: Int32) throws -> Bool {
        let f = try table.filterFields(Int(d))
        return filters.allSatisfy { $0.passes(f) }
    }

    /// True when a document with these record fields (``UFIndex/DocTableReader/filterFields(_:)``) passes.
    @inline(__always)
    func passes(_ f: (path: UnsafeRawBufferPointer, title: UnsafeRawBufferPointer, year: UInt16)) -> Bool {
        switch self {
        case .path(let p): return Searcher.contains(f.path, p)
        case .year(let lo, let hi): return f.year != 0 && Int(f.year) >= lo && Int(f.year) <= hi
        case .title(let needle, let normalizer): return Self.title(f.title, contains: needle, normalizer)
        }
    }

    /// True when the normalised form of the UTF-8 title `title` holds the code units `needle`.
    static func title(_ title: UnsafeRawBufferPointer, contains needle: [UInt16], _ normalizer: Normalizer) -> Bool {
        guard !needle.isEmpty else { return true }
        guard let decoded = try? DecodedText.decode(title) else { return false }
        return normalizer.withNormalized(decoded) { Searcher.contains($0.text, needle) }
    }
}

extension QueryPlan {
    var isFilter: Bool {
        switch self {
        case .title, .path, .year: return true
        default: return false
        }
    }
}

func intersect(_ a: [Int32], _ b: [Int32]) -> [Int32] {
    var out = [Int32]()
    var i = 0, j = 0
    while i < a.count && j < b.count {
        if a[i] == b[j] { out.append(a[i]); i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
    }
    return out
}

func union(_ a: [Int32], _ b: [Int32]) -> [Int32] {
    var out = [Int32]()
    out.reserveCapacity(a.count + b.count)
    var i = 0, j = 0
    while i < a.count || j < b.count {
        if j >= b.count || (i < a.count && a[i] < b[j]) { out.append(a[i]); i += 1 } else if i >= a.count || b[j] < a[i] { out.append(b[j]); j += 1 } else { out.append(a[i]); i += 1; j += 1 }
    }
    return out
}

func subtract(_ a: [Int32], _ b: [Int32]) -> [Int32] {
    var out = [Int32]()
    var j = 0
    for x in a {
        while j < b.count && b[j] < x { j += 1 }
        if j < b.count && b[j] == x { continue }
        out.append(x)
    }
    return out
}

/// Where a hit's query terms are, and snippets around them.
public struct HitDetail: Sendable {
    /// Byte ranges in the original document of every occurrence of the query's positive terms.
    public var matches: [Range<Int>]
    /// Snippets (pieces flagged as match or not).
    public var snippets: [[(text: String, isMatch: Bool)]]

    /// The first snippet as plain text.
    public var plainSnippet: String { snippets.first.map { $0.map(\.text).joined() } ?? "" }
}

extension Searcher {
    /// The stored document with global id `id`: its metadata and original bytes.
    public func document(id: Int) throws -> (info: DocumentInfo, bytes: [UInt8])? {
        guard let (s, l) = snapshot.locate(id), !snapshot.segments[s].isDeleted(l) else { return nil }
        return (try snapshot.segments[s].info(l), try snapshot.segments[s].original(l))
    }

    /// The prefix of a long document that snippets alone look at first (read with the byte
    /// after it: 16 KiB, two store blocks).
    static let snippetPrefix = 16_383
    /// Shorter prefixes of a UTF-8 document tried before, in bytes (cut near these lengths).
    static let shortPrefixes = [1024, 4096]
    /// Longer prefixes of a UTF-8 document tried before the whole text, when the first 16 KiB
    /// hold too few matches.
    static let longPrefixes = [65_536, 262_144]

    /// Matches and snippets of a stored document for the positive terms of `plan`. Without
    /// `allMatches`, only the start of a document is read when it settles the snippets (the
    /// same as the whole text's), or when a long document's first 16 KiB hold enough matches
    /// for them, or the region around the matches of a long document between two of its anchors
    /// (see ``anchoredDetail(segment:doc:plan:snippets:width:)``); `matches` then lists those in
    /// the part read.
    public func detail(id: Int, plan: QueryPlan, snippets count: Int = 2, width: Int = 80, allMatches: Bool = true) throws -> HitDetail {
        guard let (s, l) = snapshot.locate(id), !snapshot.segments[s].isDeleted(l) else { return HitDetail(matches: [], snippets: []) }
        let segment = snapshot.segments[s]
        if !allMatches {
            var utf8Size = 0  // the document's size when it is UTF-8
            // The prefix, and one byte more to tell whether it ends inside a character.
            let head = try segment.withOriginal(l, limit: Self.snippetPrefix + 1) { bytes, info -> HitDetail? in
                if info.encoding == .utf8 {
                    utf8Size = Int(info.size)
                    if let d = detailAroundFirstCandidate(bytes, isWhole: bytes.count == utf8Size, plan: plan, snippets: count, width: width) {
                        return d
                    }
                    if let d = detailFromPrefixes(bytes, limits: Self.shortPrefixes, plan: plan, snippets: count, width: width) { return d }
                }
                guard info.size > Self.snippetPrefix else { return try detail(bytes: bytes, plan: plan, snippets: count, width: width) }
                // A UTF-8 prefix cut at a character boundary; GB18030 or too few matches: the whole text.
                var end = Self.snippetPrefix
                while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
                guard let head = try? DecodedText.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<end])), head.encoding == .utf8 else { return nil }
                let d = detail(decoded: head, plan: plan, snippets: count, width: width)
                return d.matches.count >= count || plan.positiveSequences.isEmpty ? d : nil
            }
            if let head { return head }
            if let d = try anchoredDetail(segment: segment, doc: l, plan: plan, snippets: count, width: width) { return d }
            for limit in Self.longPrefixes where limit < utf8Size {
                let d = try segment.withOriginal(l, limit: limit + 1) { bytes, _ in
                    detailFromPrefixes(bytes, limits: [limit], plan: plan, snippets: count, width: width)
                }
                if let d { return d }
            }
        }
        return try segment.withOriginal(l) { bytes, _ in try detail(bytes: bytes, plan: plan, snippets: count, width: width) }
    }

    /// Largest region of a long document that ``anchoredDetail(segment:doc:plan:snippets:width:)`` reads.
    static let anchoredRegionLimit = 262_144

    /// The snippets of a long UTF-8 document read from the region around its first matches
    /// alone, when the query's positive sequences are all Han and kana characters (their
    /// matches in the index are then exactly the highlighter's). The index gives every match's
    /// position, and so how far the snippets can reach: each spans at most `width` units and
    /// its match from the match it starts at (``Highlighter/windows(decoded:matches:width:count:)``),
    /// and the next starts at the first match after it. The document's anchors
    /// (``UFIndex/UnitAnchor``) give where reading may start before the first match and stop
    /// past that reach, with room around. Only the store blocks holding the region are
    /// decompressed. Nil when the document has no anchors, the region would be too long, or
    /// its snippets might differ from the whole text's.
    func anchoredDetail(segment: SegmentReader, doc l: Int, plan: QueryPlan, snippets count: Int, width: Int) throws -> HitDetail? {
        let sequences = plan.positiveSequences
        guard count > 0, !sequences.isEmpty,
              sequences.allSatisfy({ $0.units.allSatisfy { if case .char = $0 { true } else { false } } })
        else { return nil }
        let (info, block, offset) = try segment.docs.info(l)
        guard info.encoding == .utf8, !info.anchors.isEmpty else { return nil }
        var starts = [UInt32](), longest: UInt32 = 0
        for q in sequences {
            guard let cursor = try SequenceCursor(SequenceMatcher(q.units), segment: segment),
                  try cursor.candidate(from: Int32(l)) == Int32(l), try cursor.verify(needStarts: true) > 0
            else { continue }
            starts += cursor.starts
            longest = max(longest, UInt32(q.units.count))
        }
        if sequences.count > 1 { starts.sort() }  // each cursor's starts are in order already
        guard let first = starts.first else { return nil }
        // Where the last snippet can end, in units.
        var reach: UInt32 = 0
        var next = first, i = 0
        for _ in 0..<count {
            reach = next + UInt32(width) + longest
            while i < starts.count && starts[i] < reach { i += 1 }
            guard i < starts.count else { break }
            next = starts[i]
        }
        let holdsEveryMatch = i == starts.count
        // Room around, in units (a unit is at least one UTF-16 unit of the original text, except
        // where NFKC expands a character; the region's snippets are checked anyway).
        let room = UInt32(2 * width)
        let startAnchor = info.anchors.last { $0.unit + room <= first }
        let endAnchor = info.anchors.first { $0.unit >= reach + room }
        let from = Int(startAnchor?.byte ?? 0)
        let to = endAnchor.map { Int($0.byte) } ?? Int(info.size)
        guard from > 0 || to < Int(info.size), to - from <= Self.anchoredRegionLimit else { return nil }
        return try segment.store.withDocument(block: block, offset: offset, size: info.size, from: from, limit: to) { bytes -> HitDetail? in
            guard bytes.count == to - from else { return nil }
            return settledDetail(region: bytes, at: from, reachesEnd: to == Int(info.size), holdsEveryMatch: holdsEveryMatch,
                                 plan: plan, snippets: count, width: width).detail
        }
    }

    /// The snippets of a whole UTF-8 text found in `region`, its bytes from `from` on (to its
    /// end when `reachesEnd`): `from` is 0 or just before a basic Han character (as a
    /// ``UFIndex/UnitAnchor``), no match of the text starts before it, and the region's end,
    /// unless the text's, is a ``Highlighter/prefixCut(_:near:)``. Nil unless the region
    /// settles them: it holds every match (`holdsEveryMatch`, or it reaches the end; see
    /// ``Highlighter/regionDetail(decoded:matches:width:count:atTextStart:atTextEnd:)``) or the
    /// snippets end before the matches it cannot know (see
    /// ``Highlighter/prefixDetail(decoded:normalized:units:unitCount:patterns:matches:width:count:atTextStart:)``).
    /// Matches are the region's, as byte ranges of the whole text. Also returns where, in the
    /// whole text, the region shows that no match starts before (`from` when it does not
    /// show that much past it).
    func settledDetail(region: UnsafeRawBufferPointer, at from: Int, reachesEnd: Bool, holdsEveryMatch: Bool = false,
                       plan: QueryPlan, snippets count: Int, width: Int) -> (detail: HitDetail?, matchFree: Int) {
        guard let decoded = try? DecodedText.decode(region), decoded.encoding == .utf8 else { return (nil, from) }
        let patterns = highlightPatterns(plan)
        var matchFree = 0
        let detail: HitDetail? = analyzer.normalizer.withNormalized(decoded) { norm in
            let (m, n) = Highlighter.matches(normalized: norm, patterns: patterns, units: &highlightUnits)
            if reachesEnd || holdsEveryMatch {
                return Highlighter.regionDetail(decoded: decoded, matches: m, width: width, count: count,
                                                atTextStart: from == 0, atTextEnd: reachesEnd)
            }
            if let known = Highlighter.knownEnd(decoded: decoded, normalized: norm, units: highlightUnits, unitCount: n,
                                                patterns: patterns) {
                matchFree = min(known, m.first?.lowerBound ?? known)
            }
            return Highlighter.prefixDetail(decoded: decoded, normalized: norm, units: highlightUnits, unitCount: n,
                                            patterns: patterns, matches: m, width: width, count: count, atTextStart: from == 0)
        }
        guard var d = detail else { return (nil, from + matchFree) }
        if from > 0 { d.matches = d.matches.map { $0.lowerBound + from ..< $0.upperBound + from } }
        return (d, from + matchFree)
    }

    /// Bytes read before a query's first possible match, for the snippet's start.
    static let regionBefore = 256
    /// Bytes read after it, per snippet.
    static let regionAfter = 768

    /// Regions ``detailAroundFirstCandidate(_:isWhole:plan:snippets:width:)`` reads past false
    /// candidates before it gives up.
    static let candidateAttempts = 8

    /// The snippets of UTF-8 text `bytes` (the whole document when `isWhole`, else a prefix of
    /// it) read from a region around the first place a match can start
    /// (``MatchStartFilter``), when every positive sequence of `plan` starts with a Han
    /// character and the region settles the snippets (the same as the whole text's); else nil.
    /// The region starts at the text's start or just before a basic Han character (as a
    /// ``UFIndex/UnitAnchor``: the text from there normalises, and splits into units, as the
    /// whole text does there) before that place, and ends at a
    /// ``Highlighter/prefixCut(_:near:)`` after it, or at the end of the text. A region in which
    /// no match starts (the place was a false candidate: 宗教事务 for 宗教界) shows that none
    /// starts before its known end either, and the scan goes on from there, up to
    /// ``candidateAttempts`` regions.
    func detailAroundFirstCandidate(_ bytes: UnsafeRawBufferPointer, isWhole: Bool, plan: QueryPlan, snippets count: Int,
                                    width: Int) -> HitDetail? {
        guard count > 0, let filter = matchStartFilter(plan) else { return nil }
        var scan = 0
        for _ in 0..<Self.candidateAttempts {
            let first = scan + filter.firstCandidate(in: UnsafeRawBufferPointer(rebasing: bytes[scan...]))
            guard first < bytes.count else { return nil }
            // The start: the text's, or a cut at least regionBefore bytes before the candidate.
            var from = 0
            if first > 2 * Self.regionBefore {
                let isCut = { (p: Int) in UnitAnchor.startsBasicHan(bytes, at: p) }
                let lowest = max(0, first - 4 * Self.regionBefore)
                var p = first - Self.regionBefore
                while p > lowest && !isCut(p) { p -= 1 }
                if isCut(p) { from = p } else if p > 0 { return nil }
            }
            // The end: the text's, or a cut near regionAfter bytes per snippet after the candidate.
            let want = first + Self.regionAfter * count
            var to = bytes.count
            if want < bytes.count - 2 {
                guard let cut = Highlighter.prefixCut(bytes, near: want), cut > first else { return nil }
                to = cut
            } else if !isWhole {
                return nil
            }
            let (d, matchFree) = settledDetail(region: UnsafeRawBufferPointer(rebasing: bytes[from..<to]), at: from,
                                               reachesEnd: to == bytes.count, plan: plan, snippets: count, width: width)
            if let d { return d }
            guard matchFree > first else { return nil }
            scan = matchFree
        }
        return nil
    }

    /// The snippets of UTF-8 text `bytes` (or of the text it starts) when a prefix of it cut near
    /// one of `limits` settles them (see
    /// ``Highlighter/prefixDetail(decoded:normalized:units:unitCount:patterns:matches:width:count:atTextStart:)``), else nil.
    func detailFromPrefixes(_ bytes: UnsafeRawBufferPointer, limits: [Int], plan: QueryPlan, snippets count: Int, width: Int) -> HitDetail? {
        guard count > 0 else { return nil }
        let patterns = highlightPatterns(plan)
        for limit in limits where limit < bytes.count {
            guard let cut = Highlighter.prefixCut(bytes, near: limit),
                  let decoded = try? DecodedText.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<cut])), decoded.encoding == .utf8
            else { continue }
            let d: HitDetail? = analyzer.normalizer.withNormalized(decoded) { norm in
                let (m, n) = Highlighter.matches(normalized: norm, patterns: patterns, units: &highlightUnits)
                return Highlighter.prefixDetail(decoded: decoded, normalized: norm, units: highlightUnits, unitCount: n,
                                                patterns: patterns, matches: m, width: width, count: count)
            }
            if let d { return d }
        }
        return nil
    }

    /// Matches and snippets of some original bytes for the positive terms of `plan`.
    public func detail(bytes: [UInt8], plan: QueryPlan, snippets count: Int = 2, width: Int = 80) throws -> HitDetail {
        try bytes.withUnsafeBytes { try detail(bytes: $0, plan: plan, snippets: count, width: width) }
    }

    /// Matches and snippets of some original bytes for the positive terms of `plan`.
    func detail(bytes: UnsafeRawBufferPointer, plan: QueryPlan, snippets count: Int, width: Int) throws -> HitDetail {
        detail(decoded: try DecodedText.decode(bytes), plan: plan, snippets: count, width: width)
    }

    /// Matches and snippets of decoded text (offsets refer to the bytes it was decoded from).
    func detail(decoded: DecodedText, plan: QueryPlan, snippets count: Int, width: Int) -> HitDetail {
        let patterns = highlightPatterns(plan)
        let m = analyzer.normalizer.withNormalized(decoded) {
            Highlighter.matches(normalized: $0, patterns: patterns, units: &highlightUnits).ranges
        }
        return HitDetail(matches: m, snippets: Highlighter.snippets(decoded: decoded, matches: m, width: width, count: count))
    }

    /// The highlighter's patterns of the positive sequences of `plan`, made once for the hits of a query.
    func highlightPatterns(_ plan: QueryPlan) -> [Highlighter.Pattern] {
        let sequences = plan.positiveSequences.map(\.normalized)
        if let cached = patternCache, cached.sequences == sequences { return cached.patterns }
        let patterns = sequences.map { Highlighter.Pattern($0, normalizer: analyzer.normalizer) }
        let prefixes = patterns.map { p in (first: p.units.first.map(\.key) ?? 0, second: p.units.dropFirst().first.map(\.key)) }
        patternCache = (sequences, patterns, MatchStartFilter(prefixes: prefixes))
        return patterns
    }

    /// The filter for the first characters of `plan`'s patterns (nil unless all are basic Han), made with them.
    func matchStartFilter(_ plan: QueryPlan) -> MatchStartFilter? {
        _ = highlightPatterns(plan)
        return patternCache?.filter
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
