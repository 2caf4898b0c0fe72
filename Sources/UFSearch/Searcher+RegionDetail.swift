import UFAnalysis
import UFIndex

/// Snippets from part of a stored document: the region around its first possible match, a
/// prefix, or the region its anchors bound around the matches the index gives. Each returns
/// nil unless the part read settles the snippets exactly as the whole text would.
extension Searcher {
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
        guard count > 0, indexMatchesAreHighlighterMatches(plan) else { return nil }
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

    /// Whether the index's matches of `plan`'s positive sequences are exactly the highlighter's:
    /// there is one, and each is all Han and kana characters (no letter or number runs, whose
    /// tokens the highlighter compares differently).
    func indexMatchesAreHighlighterMatches(_ plan: QueryPlan) -> Bool {
        let sequences = plan.positiveSequences
        return !sequences.isEmpty && sequences.allSatisfy { $0.units.allSatisfy { if case .char = $0 { true } else { false } } }
    }

    /// The snippets of a whole UTF-8 text found in `region`, its bytes from `from` on (to its
    /// end when `reachesEnd`): `from` is 0 or just before a basic Han character (as a
    /// ``UFIndex/UnitAnchor``), no match of the text starts before it, and the region's end,
    /// unless the text's, is a ``Highlighter/prefixCut(_:near:)``. Nil unless the region
    /// settles them: it holds every match (`holdsEveryMatch`; or it reaches the end; or it holds
    /// `knownMatches` merged matches, the text's count of the index's matches, which are the
    /// highlighter's: each merged match holds at least one of them; see
    /// ``Highlighter/regionDetail(decoded:matches:width:count:atTextStart:atTextEnd:)``) or the
    /// snippets end before the matches it cannot know (see
    /// ``Highlighter/prefixDetail(decoded:normalized:units:unitCount:patterns:matches:width:count:atTextStart:)``).
    /// Matches are the region's, as byte ranges of the whole text. With `everyMatch`, only a
    /// region that holds every match settles them (its matches are then all of the text's).
    /// Also returns where, in the whole text, the region shows that no match starts before
    /// (`from` when it does not show that much past it).
    func settledDetail(region: UnsafeRawBufferPointer, at from: Int, reachesEnd: Bool, holdsEveryMatch: Bool = false,
                       knownMatches: Int? = nil, everyMatch: Bool = false, plan: QueryPlan, snippets count: Int,
                       width: Int) -> (detail: HitDetail?, matchFree: Int) {
        guard let decoded = try? DecodedText.decode(region), decoded.encoding == .utf8 else { return (nil, from) }
        let patterns = highlightPatterns(plan)
        var matchFree = 0
        let detail: HitDetail? = analyzer.normalizer.withNormalized(decoded) { norm in
            let (m, n) = Highlighter.matches(normalized: norm, patterns: patterns, units: &highlightUnits)
            if reachesEnd || holdsEveryMatch {
                return Highlighter.regionDetail(decoded: decoded, matches: m, width: width, count: count,
                                                atTextStart: from == 0, atTextEnd: reachesEnd)
            }
            if let k = knownMatches, k > 0, m.count >= k,
               let d = Highlighter.regionDetail(decoded: decoded, matches: m, width: width, count: count,
                                                atTextStart: from == 0, atTextEnd: false) {
                return d
            }
            if let known = Highlighter.knownEnd(decoded: decoded, normalized: norm, units: highlightUnits, unitCount: n,
                                                patterns: patterns) {
                matchFree = min(known, m.first?.lowerBound ?? known)
            }
            if everyMatch { return nil }
            return Highlighter.prefixDetail(decoded: decoded, normalized: norm, units: highlightUnits, unitCount: n,
                                            patterns: patterns, matches: m, width: width, count: count, atTextStart: from == 0)
        }
        guard var d = detail else { return (nil, from + matchFree) }
        if from > 0 { d.matches = d.matches.map { $0.lowerBound + from ..< $0.upperBound + from } }
        return (d, from + matchFree)
    }

    /// Bytes read before a query's first possible match, for the snippet's start.
    static let regionBefore = 256
    /// Bytes read after it, per snippet, for two snippets or more (the CLI's two).
    static let regionAfterPerSnippet = 768
    /// Bytes read after it for one snippet (the server's hit lines). A snippet around the first match
    /// needs much less than two do. Callgrind of the server answering the 180 M bench queries twice
    /// (`QUERY limit=10`), with the same output each time: 2,007 million instructions at 768,
    /// 1,907 million at 320, 1,889 million at 256, and 2,539 million at 160 (too short: regions
    /// stop settling). For the CLI's two snippets, 640 or 512 bytes in all cost 0.5% more instructions
    /// than 1,536 over 40 one-query processes.
    static let regionAfterOneSnippet = 320

    /// Bytes read after a query's first possible match for `count` snippets.
    static func regionAfter(snippets count: Int) -> Int {
        count == 1 ? regionAfterOneSnippet : regionAfterPerSnippet * count
    }

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
    /// ``candidateAttempts`` regions. `knownMatches`, how many times the positive sequences
    /// occur in the whole text by the index (``SearchHit/occurrences``), settles a region that
    /// holds that many. With `everyMatch`, only a region that holds every match settles the
    /// detail, whose matches are then all of the text's.
    func detailAroundFirstCandidate(_ bytes: UnsafeRawBufferPointer, isWhole: Bool, plan: QueryPlan, snippets count: Int,
                                    width: Int, knownMatches: Int? = nil, everyMatch: Bool = false) -> HitDetail? {
        guard count > 0, let filter = matchStartFilter(plan) else { return nil }
        let known = indexMatchesAreHighlighterMatches(plan) ? knownMatches : nil
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
            // The end: the text's, or a cut near regionAfter(snippets:) bytes after the candidate.
            let want = first + Self.regionAfter(snippets: count)
            var to = bytes.count
            if want < bytes.count - 2 {
                guard let cut = Highlighter.prefixCut(bytes, near: want), cut > first else { return nil }
                to = cut
            } else if !isWhole {
                return nil
            }
            let (d, matchFree) = settledDetail(region: UnsafeRawBufferPointer(rebasing: bytes[from..<to]), at: from,
                                               reachesEnd: to == bytes.count, knownMatches: known, everyMatch: everyMatch,
                                               plan: plan, snippets: count, width: width)
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
}
