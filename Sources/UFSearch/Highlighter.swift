import UFAnalysis
import UFIndex
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds where a query's terms occur in a stored document (byte ranges in the original
/// bytes) and cuts snippets around them. The document is normalised (no segmentation, so this
/// is cheap) and split into light units: each Han/kana character, each run of letters and
/// digits, each other non-space character. A sequence occurs where its units appear in a row.
public enum Highlighter {
    /// A light unit of a normalised text: one character, or a run of letters and digits
    /// (`text[start..<end]` of the text it was cut from).
    struct LightUnit {
        /// The character, or for a run ``wordFlag`` plus a hash of its UTF-16 units: units with
        /// different keys differ; runs with equal keys are compared unit by unit.
        var key: UInt32
        var start: Int32
        var end: Int32
    }

    /// Set in the key of a run of letters and digits (code points stay below it).
    static let wordFlag: UInt32 = 1 << 31

    /// A sequence of a query, normalised and cut into light units, ready to be looked for.
    public struct Pattern {
        let text: [UInt16]
        let units: [LightUnit]

        /// The pattern of `sequence` (normalised again with `normalizer`, as the document is).
        public init(_ sequence: String, normalizer: Normalizer) {
            text = normalizer.normalize(sequence).text
            var u = [LightUnit]()
            let count = text.withUnsafeBufferPointer { Highlighter.units($0, into: &u) }
            units = Array(u.prefix(count))
        }
    }

    /// Letters and digits (fast paths for ASCII, Han and CJK punctuation; Unicode properties otherwise).
    @inline(__always)
    static func isWordChar(_ c: UInt32) -> Bool {
        if c < 0x80 { return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) }
        if (0x3000...0x303F).contains(c) || (0xFF00...0xFF0F).contains(c) || (0x2000...0x206F).contains(c) { return false }
        guard let s = Unicode.Scalar(c) else { return false }
        return s.properties.isAlphabetic || s.properties.numericType != nil
    }

    /// Writes the light units of `t` (spaces separate units and are dropped) to the start of
    /// `out`, which grows to hold them, and returns how many there are.
    static func units(_ t: UnsafeBufferPointer<UInt16>, into out: inout [LightUnit]) -> Int {
        if out.count < t.count { out = Array(repeating: LightUnit(key: 0, start: 0, end: 0), count: t.count) }
        return out.withUnsafeMutableBufferPointer { out in
            let n = t.count
            var count = 0
            var i = 0
            while i < n {
                let u = t[i]
                // Fast path: Han in the basic block, one unit, never a space or part of a run.
                if u >= 0x4E00 && u <= 0x9FFF {
                    out[count] = LightUnit(key: UInt32(u), start: Int32(i), end: Int32(i + 1))
                    count += 1
                    i += 1
                    continue
                }
                let (c, len) = UTF16Scalar.decode(t, i)
                if CharClass.isSpace(c) {
                    i += len
                } else if !CharClass.isCharUnit(c) && isWordChar(c) {
                    let start = i
                    var hash: UInt32 = 2_166_136_261  // FNV-1a over the run's UTF-16 units (its top bit is the flag's)
                    while i < n {
                        let (d, l) = UTF16Scalar.decode(t, i)
                        guard isWordChar(d) && !CharClass.isCharUnit(d) else { break }
                        for k in i..<i + l { hash = (hash ^ UInt32(t[k])) &* 16_777_619 }
                        i += l
                    }
                    out[count] = LightUnit(key: wordFlag | hash, start: Int32(start), end: Int32(i))
                    count += 1
                } else {
                    // A Han or kana character, or another non-space one: a unit of its own.
                    out[count] = LightUnit(key: c, start: Int32(i), end: Int32(i + len))
                    count += 1
                    i += len
                }
            }
            return count
        }
    }

    /// Whether unit `a` of text `at` is unit `b` of text `bt`: the same character, or runs of the same letters and digits.
    @inline(__always)
    static func same(_ a: LightUnit, _ at: UnsafeBufferPointer<UInt16>, _ b: LightUnit, _ bt: UnsafeBufferPointer<UInt16>) -> Bool {
        guard a.key == b.key else { return false }
        guard a.key & wordFlag != 0 else { return true }
        let n = Int(a.end - a.start)
        guard n == Int(b.end - b.start) else { return false }
        return memcmp(at.baseAddress! + Int(a.start), bt.baseAddress! + Int(b.start), n * 2) == 0
    }

    /// Byte ranges, in the original bytes `normalized` came from, of every occurrence of the
    /// patterns, sorted, merged, and the number of light units of the text (left in `units`).
    static func matches(normalized: NormalizedView, patterns: [Pattern], units doc: inout [LightUnit]) -> (ranges: [Range<Int>], unitCount: Int) {
        let text = normalized.text
        let n = units(text, into: &doc)
        var ranges = [Range<Int>]()
        doc.withUnsafeBufferPointer { all in
            let doc = UnsafeBufferPointer(rebasing: all[0..<n])
            for p in patterns {
                let m = p.units.count
                guard m > 0, m <= doc.count else { continue }
                p.units.withUnsafeBufferPointer { pattern in
                    p.text.withUnsafeBufferPointer { ptext in
                        let first = pattern[0]
                        var i = 0
                        while i + m <= doc.count {
                            guard same(doc[i], text, first, ptext) else { i += 1; continue }
                            var k = 1
                            while k < m && same(doc[i + k], text, pattern[k], ptext) { k += 1 }
                            if k == m {
                                let a = Int(normalized.origStart[Int(doc[i].start)])
                                let b = Int(normalized.origEnd[Int(doc[i + k - 1].end) - 1])
                                ranges.append(a..<b)
                                i += k
                            } else {
                                i += 1
                            }
                        }
                    }
                }
            }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged = [Range<Int>]()
        for r in ranges {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return (merged, n)
    }

    /// A snippet: plain text pieces, each flagged as a match or not.
    public typealias Snippet = [(text: String, isMatch: Bool)]

    /// Up to `count` snippets of about `width` characters around the first matches, cut at
    /// sentence marks (。！？；) where possible, on one line.
    public static func snippets(decoded: DecodedText, matches: [Range<Int>], width: Int = 80, count: Int = 2) -> [Snippet] {
        windows(decoded: decoded, matches: matches, width: width, count: count).map { snippet(decoded: decoded, window: $0, matches: matches) }
    }

    /// The first UTF-16 unit of `decoded` whose original offset is at least `b`.
    static func unitIndex(_ decoded: DecodedText, ofByte b: Int) -> Int {
        let offs = decoded.offsets
        var lo = 0, hi = decoded.utf16.count
        while lo < hi { let m = (lo + hi) / 2; if Int(offs[m]) < b { lo = m + 1 } else { hi = m } }
        return lo
    }

    @inline(__always)
    static func isMark(_ u: UInt16) -> Bool { u == 0x3002 || u == 0xFF01 || u == 0xFF1F || u == 0xFF1B || u == 0x0A }

    /// The UTF-16 unit ranges of `decoded` that ``snippets(decoded:matches:width:count:)`` shows.
    static func windows(decoded: DecodedText, matches: [Range<Int>], width: Int, count: Int) -> [Range<Int>] {
        let units = decoded.utf16
        var out = [Range<Int>]()
        var used = -1
        let anchors = matches.isEmpty ? [0..<0] : matches
        for m in anchors where out.count < count {
            let ms = unitIndex(decoded, ofByte: m.lowerBound)
            if ms < used { continue }
            // Start: after the previous sentence mark within width/2, else width/3 before.
            var start = ms
            var steps = 0
            while start > 0 && steps < width / 2 && !isMark(units[start - 1]) { start -= 1; steps += 1 }
            if start > 0 && !isMark(units[start - 1]) { start = max(0, ms - width / 3) }
            var end = min(units.count, start + width)
            var e = ms
            while e < units.count && e < start + width {
                if isMark(units[e]) && e > ms { end = e + 1; break }
                e += 1
            }
            end = max(end, min(units.count, unitIndex(decoded, ofByte: m.upperBound)))
            used = end
            out.append(start..<end)
            if matches.isEmpty { break }
        }
        return out
    }

    /// The snippet of `window`, with every match inside it highlighted.
    static func snippet(decoded: DecodedText, window: Range<Int>, matches: [Range<Int>]) -> Snippet {
        let units = decoded.utf16
        let (start, end) = (window.lowerBound, window.upperBound)
        var pieces = Snippet()
        var cur = start
        for r in matches {
            let a = unitIndex(decoded, ofByte: r.lowerBound), b = unitIndex(decoded, ofByte: r.upperBound)
            if b <= start || a >= end { continue }
            let aa = max(a, start), bb = min(b, end)
            if aa > cur { pieces.append((Self.oneLine(units[cur..<aa]), false)) }
            pieces.append((Self.oneLine(units[aa..<bb]), true))
            cur = bb
        }
        if cur < end { pieces.append((Self.oneLine(units[cur..<end]), false)) }
        if start > 0 { pieces.insert(("…", false), at: 0) }
        if end < units.count && !isMark(units[end - 1]) { pieces.append(("…", false)) }
        return pieces
    }

    /// Where a prefix of UTF-8 text may be cut so that its normalised text and light units are
    /// the start of the whole text's: just before a line feed or a Han character of the basic
    /// block (each starts a normalisation chunk of its own and ends any run of letters and
    /// digits before it). The last such position in `limit / 2 ... limit`, or nil.
    static func prefixCut(_ bytes: UnsafeRawBufferPointer, near limit: Int) -> Int? {
        var p = min(limit, bytes.count - 2)
        while p > limit / 2 {
            if bytes[p] == 0x0A || UnitAnchor.startsBasicHan(bytes, at: p) { return p }
            p -= 1
        }
        return nil
    }

    /// The original byte offset (relative to the text read) before which a prefix of a text
    /// (cut at a ``prefixCut(_:near:)``; `units` holds its `unitCount` light units) knows every
    /// match start of `patterns`: the start of the first unit where a match may run past the
    /// cut. Nil when it knows none.
    static func knownEnd(decoded: DecodedText, normalized: NormalizedView, units: [LightUnit], unitCount: Int,
                         patterns: [Pattern]) -> Int? {
        let longest = patterns.map(\.units.count).max() ?? 0
        // Matches starting at unit unitCount - longest or before are the whole text's.
        let firstUnknown = unitCount - longest + 1
        guard longest > 0, firstUnknown > 0 else { return nil }
        return firstUnknown < unitCount ? Int(normalized.origStart[Int(units[firstUnknown].start)]) : Int(decoded.offsets[decoded.utf16.count])
    }

    /// The snippets of a whole text found in a prefix of it (cut at a ``prefixCut(_:near:)``;
    /// `units` holds the prefix's `unitCount` light units, `matches` its merged matches of
    /// `patterns`): nil unless they are settled there, that is unless all `count` snippets lie
    /// before the first place where a match of the whole text could differ from the prefix's
    /// (a match may run past the cut, and one starting in the last units before it is not
    /// known). The matches returned are those up to there.
    /// With `atTextStart` false the text read starts inside the document, after a cut of its own:
    /// no snippet may then start at its first unit (its start was looked for there).
    static func prefixDetail(decoded: DecodedText, normalized: NormalizedView, units: [LightUnit], unitCount: Int,
                             patterns: [Pattern], matches: [Range<Int>], width: Int, count: Int,
                             atTextStart: Bool = true) -> HitDetail? {
        guard let known = knownEnd(decoded: decoded, normalized: normalized, units: units, unitCount: unitCount, patterns: patterns)
        else { return nil }
        // Merged ranges ending before `known` can take no other match in.
        let settled = Array(matches.prefix { $0.upperBound < known })
        guard !settled.isEmpty else { return nil }
        let limit = settled.count < matches.count ? min(known, matches[settled.count].lowerBound) : known
        let windows = windows(decoded: decoded, matches: settled, width: width, count: count)
        let n = decoded.utf16.count
        guard windows.count == count,
              windows.allSatisfy({ $0.upperBound < n && $0.lowerBound + width < n && Int(decoded.offsets[$0.upperBound]) <= limit
                  && (atTextStart || $0.lowerBound > 0) })
        else { return nil }
        return HitDetail(matches: settled, snippets: windows.map { snippet(decoded: decoded, window: $0, matches: settled) })
    }

    /// The snippets of a whole text found in a region of it that holds every match: the region
    /// starts at the start of the text or at a ``UFIndex/UnitAnchor`` before the first match, and
    /// ends at the end of the text or at an anchor after the last match (so `matches`, the
    /// region's merged matches of the patterns, are all of the text's, shifted). Nil unless the
    /// snippets are those of the whole text: each snippet must lie inside the region with room
    /// around it, so that neither its start (looked for up to `width / 2` units back) nor its
    /// end (up to `width` on) met an edge of the region that is not an edge of the text.
    static func regionDetail(decoded: DecodedText, matches: [Range<Int>], width: Int, count: Int,
                             atTextStart: Bool, atTextEnd: Bool) -> HitDetail? {
        guard !matches.isEmpty, count > 0 else { return nil }
        let windows = windows(decoded: decoded, matches: matches, width: width, count: count)
        let n = decoded.utf16.count
        guard windows.allSatisfy({ (atTextStart || $0.lowerBound > 0) && (atTextEnd || ($0.upperBound < n && $0.lowerBound + width < n)) })
        else { return nil }
        return HitDetail(matches: matches, snippets: windows.map { snippet(decoded: decoded, window: $0, matches: matches) })
    }

    /// The text of `u` with line breaks and tabs as spaces (units, never halves of a
    /// surrogate pair, so replacing them before decoding is the same as after).
    static func oneLine(_ u: ArraySlice<UInt16>) -> String {
        guard u.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return UTF16Scalar.string(u) }
        return UTF16Scalar.string(u.map { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 ? 0x20 : $0 })
    }
}
