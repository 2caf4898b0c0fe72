import UFAnalysis
import UFIndex

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
    /// the part read. `occurrences`, the hit's ``SearchHit/occurrences``, lets a region around
    /// the first match settle the snippets when it holds that many matches (all of them); with
    /// `allMatches`, such a region (or one that reaches the end of the text) also gives every
    /// match, and the rest of the text is not normalised.
    public func detail(id: Int, plan: QueryPlan, snippets count: Int = 2, width: Int = 80, allMatches: Bool = true,
                       occurrences: Int? = nil) throws -> HitDetail {
        guard let (s, l) = snapshot.locate(id), !snapshot.segments[s].isDeleted(l) else { return HitDetail(matches: [], snippets: []) }
        let segment = snapshot.segments[s]
        if !allMatches {
            var utf8Size = 0  // the document's size when it is UTF-8
            // The prefix, and one byte more to tell whether it ends inside a character.
            let head = try segment.withOriginal(l, limit: Self.snippetPrefix + 1) { bytes, info -> HitDetail? in
                if info.encoding == .utf8 {
                    utf8Size = Int(info.size)
                    if let d = detailAroundFirstCandidate(bytes, isWhole: bytes.count == utf8Size, plan: plan, snippets: count, width: width,
                                                          knownMatches: occurrences) {
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
        if allMatches, let n = occurrences, n > 0 {
            // The prefix read for the region is the whole text of a short document: the whole-text
            // detail then comes from it, not from a second read.
            let d = try segment.withOriginal(l, limit: Self.snippetPrefix + 1) { bytes, info -> HitDetail? in
                let isWhole = bytes.count == Int(info.size)
                if info.encoding == .utf8, let d = detailAroundFirstCandidate(bytes, isWhole: isWhole, plan: plan, snippets: count,
                                                                             width: width, knownMatches: n, everyMatch: true) {
                    return d
                }
                return isWhole ? try detail(bytes: bytes, plan: plan, snippets: count, width: width) : nil
            }
            if let d { return d }
        }
        return try segment.withOriginal(l) { bytes, _ in try detail(bytes: bytes, plan: plan, snippets: count, width: width) }
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
