// Boolean evaluation of a query plan over one segment: sorted local ids, combined by AND
// (positive text first, then filters, then exclusions), OR and NOT.

import UFAnalysis
import UFIndex

extension Searcher {
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

