import UFAnalysis
import UFIndex

/// Finds where a query's terms occur in a stored document (byte ranges in the original
/// bytes) and cuts snippets around them. The document is normalised (no segmentation, so this
/// is cheap) and split into light units: each Han/kana character, each run of letters and
/// digits, each other non-space character. A sequence occurs where its units appear in a row.
public struct Highlighter {
    let normalizer: Normalizer

    /// A highlighter using `normalizer` (the analyser's).
    public init(normalizer: Normalizer) { self.normalizer = normalizer }

    /// A light unit: one character (`scalar`, with `word` nil) or a run of letters and digits.
    struct LightUnit: Equatable {
        var scalar: UInt32
        var word: [UInt32]?
        var start: Int32
        var end: Int32

        static func == (a: LightUnit, b: LightUnit) -> Bool { a.scalar == b.scalar && a.word == b.word }
    }

    /// Letters and digits (fast paths for ASCII, Han and CJK punctuation; Unicode properties otherwise).
    @inline(__always)
    static func isWordChar(_ c: UInt32) -> Bool {
        if c < 0x80 { return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) }
        if (0x3000...0x303F).contains(c) || (0xFF00...0xFF0F).contains(c) || (0x2000...0x206F).contains(c) { return false }
        guard let s = Unicode.Scalar(c) else { return false }
        return s.properties.isAlphabetic || s.properties.numericType != nil
    }

    static func units(_ text: [UInt16]) -> [LightUnit] {
        var out = [LightUnit]()
        out.reserveCapacity(text.count)
        text.withUnsafeBufferPointer { t in
            let n = t.count
            var i = 0
            while i < n {
                let (c, len) = UTF16Scalar.decode(t, i)
                if CharClass.isCharUnit(c) {
                    out.append(LightUnit(scalar: c, word: nil, start: Int32(i), end: Int32(i + len)))
                    i += len
                } else if CharClass.isSpace(c) {
                    i += len
                } else if isWordChar(c) {
                    var w = [UInt32]()
                    let start = i
                    while i < n {
                        let (d, l) = UTF16Scalar.decode(t, i)
                        guard isWordChar(d) && !CharClass.isCharUnit(d) else { break }
                        w.append(d)
                        i += l
                    }
                    out.append(LightUnit(scalar: 0, word: w, start: Int32(start), end: Int32(i)))
                } else {
                    out.append(LightUnit(scalar: c, word: nil, start: Int32(i), end: Int32(i + len)))
                    i += len
                }
            }
        }
        return out
    }

    /// Byte ranges, in the original bytes `normalized` came from, of every occurrence of the
    /// sequences, sorted, merged.
    public func matches(normalized: NormalizedText, sequences: [String]) -> [Range<Int>] {
        let doc = Self.units(normalized.text)
        var ranges = [Range<Int>]()
        for s in sequences {
            let pattern = Self.units(normalizer.normalize(s).text)
            guard !pattern.isEmpty, pattern.count <= doc.count else { continue }
            var i = 0
            while i + pattern.count <= doc.count {
                var k = 0
                while k < pattern.count && doc[i + k] == pattern[k] { k += 1 }
                if k == pattern.count {
                    let a = Int(normalized.origStart[Int(doc[i].start)])
                    let b = Int(normalized.origEnd[Int(doc[i + k - 1].end) - 1])
                    ranges.append(a..<b)
                    i += k
                } else {
                    i += 1
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
        return merged
    }

    /// A snippet: plain text pieces, each flagged as a match or not.
    public typealias Snippet = [(text: String, isMatch: Bool)]

    /// Up to `count` snippets of about `width` characters around the first matches, cut at
    /// sentence marks (。！？；) where possible, on one line.
    public func snippets(decoded: DecodedText, matches: [Range<Int>], width: Int = 80, count: Int = 2) -> [Snippet] {
        let units = decoded.utf16
        let offs = decoded.offsets
        func unitIndex(ofByte b: Int) -> Int {  // first unit whose offset ≥ b
            var lo = 0, hi = units.count
            while lo < hi { let m = (lo + hi) / 2; if Int(offs[m]) < b { lo = m + 1 } else { hi = m } }
            return lo
        }
        func isMark(_ u: UInt16) -> Bool { u == 0x3002 || u == 0xFF01 || u == 0xFF1F || u == 0xFF1B || u == 0x0A }
        var out = [Snippet]()
        var used = -1
        let anchors = matches.isEmpty ? [0..<0] : matches
        for m in anchors where out.count < count {
            let ms = unitIndex(ofByte: m.lowerBound)
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
            end = max(end, min(units.count, unitIndex(ofByte: m.upperBound)))
            used = end
            // Pieces, with every match inside the window highlighted.
            var pieces = Snippet()
            var cur = start
            for r in matches {
                let a = unitIndex(ofByte: r.lowerBound), b = unitIndex(ofByte: r.upperBound)
                if b <= start || a >= end { continue }
                let aa = max(a, start), bb = min(b, end)
                if aa > cur { pieces.append((Self.oneLine(units[cur..<aa]), false)) }
                pieces.append((Self.oneLine(units[aa..<bb]), true))
                cur = bb
            }
            if cur < end { pieces.append((Self.oneLine(units[cur..<end]), false)) }
            if start > 0 { pieces.insert(("…", false), at: 0) }
            if end < units.count && !isMark(units[end - 1]) { pieces.append(("…", false)) }
            out.append(pieces)
            if matches.isEmpty { break }
        }
        return out
    }

    /// The text of `u` with line breaks and tabs as spaces (units, never halves of a
    /// surrogate pair, so replacing them before decoding is the same as after).
    static func oneLine(_ u: ArraySlice<UInt16>) -> String {
        guard u.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return UTF16Scalar.string(u) }
        return UTF16Scalar.string(u.map { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 ? 0x20 : $0 })
    }
}
