import UFAnalysis

/// Finds, in original UTF-8 bytes and without normalising them, the first place where a match
/// of a query can start, when every positive sequence of the query starts with a Han character
/// of the basic block (U+4E00...U+9FFF). A hit line then normalises only the text around it.
///
/// The normaliser (NFKC_Casefold, Traditional→Simplified, NFKC_Casefold again) puts such a
/// character `c` into its output only for an original character that is
/// - `c` itself;
/// - a Traditional form the Traditional→Simplified table maps to `c`;
/// - a compatibility character that NFKC maps to Han text (CJK and Kangxi radicals, Hangzhou
///   numerals, kanbun, enclosed and squared ideographs, compatibility ideographs: see
///   ``isCompatibilityHan(_:)``);
/// - or a supplementary-plane character (all of which the filter stops at).
///
/// When a sequence's second unit is a basic Han character too, a place holding its first
/// character also needs a next character that can lead to the second (``mayContinue``).
///
/// `MatchStartFilterTests` checks both against the normaliser for every BMP code point. A
/// normalisation chunk (a character and the combining marks after it) starts with its base
/// character, and no canonical composition produces a Han character, so a match's first unit
/// always comes from one of these characters at the match's first byte.
struct MatchStartFilter {
    /// Per sequence: the UTF-8 bytes of the BMP characters that can give its first character,
    /// each packed as `b0 << 16 | b1 << 8 | b2`, and the same for its second character when
    /// that is a basic Han character too (else nil: the first one alone is looked for).
    let sequences: [(first: [UInt32], second: [UInt32]?)]
    /// Every sequence's first forms together: a character of the basic Han block (or of
    /// extension A, which shares its lead bytes) not among them starts no match.
    let anyFirst: [UInt32]

    private static func isBasicHan(_ c: UInt32) -> Bool { (0x4E00...0x9FFF).contains(c) }

    /// `c` and the Traditional forms in the BMP that the table maps to it, packed. A scan of
    /// the table's pairs (a few microseconds for a query's first characters), not a reverse map
    /// built for every character: a one-query process would spend 0.3 ms building one.
    private static func forms(_ c: UInt32) -> [UInt32] {
        var out = [packed(c)]
        for (from, to) in Normalizer.traditionalPairs where to == c && from < 0x10000 { out.append(packed(from)) }
        return out
    }

    /// A filter for sequences whose normalised units start with the keys `prefixes` (the first
    /// and, when there is one, the second); nil unless every first unit is a basic Han character.
    init?(prefixes: [(first: UInt32, second: UInt32?)]) {
        guard !prefixes.isEmpty, prefixes.allSatisfy({ Self.isBasicHan($0.first) }) else { return nil }
        sequences = prefixes.map { p in
            (Self.forms(p.first), p.second.flatMap { Self.isBasicHan($0) ? Self.forms($0) : nil })
        }
        anyFirst = Array(Set(sequences.flatMap(\.first))).sorted()
    }

    /// The three UTF-8 bytes of a BMP code point from U+0800 on, packed.
    static func packed(_ c: UInt32) -> UInt32 {
        (0xE0 | c >> 12) << 16 | (0x80 | (c >> 6) & 0x3F) << 8 | (0x80 | c & 0x3F)
    }

    /// BMP characters that NFKC maps to text holding Han characters: CJK radicals supplement
    /// and Kangxi radicals, Hangzhou numerals (U+3038–U+303A), kanbun (U+3190–U+319F),
    /// enclosed CJK letters and months and CJK compatibility (U+3200–U+33FF), and CJK
    /// compatibility ideographs (U+F900–U+FAFF).
    @inline(__always)
    static func isCompatibilityHan(_ c: UInt32) -> Bool {
        (0x2E80...0x2FDF).contains(c) || (0x3038...0x303A).contains(c) || (0x3190...0x319F).contains(c)
            || (0x3200...0x33FF).contains(c) || (0xF900...0xFAFF).contains(c)
    }

    /// The three-byte character at `j` of `bytes` (`j + 2` inside them): its bytes packed as
    /// ``packed(_:)`` packs them, and its code point.
    @inline(__always)
    private static func character(_ bytes: UnsafeRawBufferPointer, at j: Int) -> (packed: UInt32, code: UInt32) {
        let b0 = UInt32(bytes[j]), b1 = UInt32(bytes[j &+ 1]), b2 = UInt32(bytes[j &+ 2])
        return (b0 << 16 | b1 << 8 | b2, (b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F))
    }

    /// Whether the character at `j` of `bytes` can begin the normalised text that follows a
    /// sequence's first character with its second (one of `second`): it is one of them, or
    /// whitespace (dropped between two Han characters), or any character but ASCII and basic
    /// Han (one that normalises to nothing, or to Han, is among them). Conservative at the end.
    @inline(__always)
    private static func mayContinue(_ bytes: UnsafeRawBufferPointer, at j: Int, with second: [UInt32]) -> Bool {
        let n = bytes.count
        guard j < n else { return true }
        let b0 = bytes[j]
        if b0 < 0x80 { return b0 == 0x20 || (b0 >= 0x09 && b0 <= 0x0D) }
        guard b0 >= 0xE0, b0 < 0xF0, j &+ 2 < n else { return true }
        let (v, c) = character(bytes, at: j)
        return second.contains(v) || !isBasicHan(c)
    }

    /// The offset of the first character in `bytes` (UTF-8, from a character boundary) where a
    /// match can start; `bytes.count` when there is none. Conservative at the end: a character
    /// cut by the end of `bytes` counts as a candidate.
    func firstCandidate(in bytes: UnsafeRawBufferPointer) -> Int {
        let n = bytes.count
        var i = 0
        while i < n {
            let b0 = bytes[i]
            // ASCII, continuation bytes and two-byte characters: nothing that becomes Han.
            if b0 < 0xE2 { i &+= 1; continue }
            // A supplementary-plane character (or a byte no UTF-8 text has here).
            guard b0 < 0xF0, i &+ 2 < n else { return i }
            let (v, c) = Self.character(bytes, at: i)
            // U+4000...U+9FFF (most of a Chinese text): neither compatibility Han nor a candidate
            // unless it is one of the first forms.
            if b0 >= 0xE4 && b0 <= 0xE9 && !anyFirst.contains(v) { i &+= 3; continue }
            for s in sequences where s.first.contains(v) {
                guard let second = s.second else { return i }
                if Self.mayContinue(bytes, at: i &+ 3, with: second) { return i }
            }
            if !Self.isBasicHan(c), Self.isCompatibilityHan(c) { return i }
            i &+= 3
        }
        return n
    }
}
