/// The one entry point of text analysis, shared by the indexer and the query parser:
/// decode (UTF-8, else GB18030, else binary) → normalise (NFKC_Casefold, Traditional→Simplified,
/// whitespace between Han dropped) → segment (ICU words) → original byte offsets.
///
/// Not thread-safe (it owns ICU handles and caches): use one `Analyzer` per thread.
public final class Analyzer {
    /// The normaliser this analyser uses.
    public let normalizer: Normalizer
    /// The word segmenter this analyser uses.
    public let segmenter: Segmenter

    /// Opens the ICU services. Throws `AnalysisError.icu` if ICU cannot provide them.
    public init() throws {
        normalizer = try Normalizer()
        segmenter = try Segmenter(locale: "zh")
    }

    /// Analyses a file's bytes. Throws `AnalysisError.binary` for bytes that are not text.
    public func analyze(bytes: UnsafeRawBufferPointer) throws -> Analysis {
        let decoded = try DecodedText.decode(bytes)
        return analyze(decoded: decoded)
    }

    /// Analyses a file's bytes. Throws `AnalysisError.binary` for bytes that are not text.
    public func analyze(bytes: [UInt8]) throws -> Analysis {
        try bytes.withUnsafeBytes { try analyze(bytes: $0) }
    }

    /// Analyses a string (a query or a command-line argument); offsets refer to its UTF-8 bytes.
    public func analyze(text: String) -> Analysis {
        let norm = normalizer.normalize(text)
        return Analysis(encoding: .utf8, normalized: norm, words: segmenter.words(norm.text))
    }

    /// Analyses already-decoded text.
    public func analyze(decoded: DecodedText) -> Analysis {
        let norm = normalizer.normalize(decoded)
        return Analysis(encoding: decoded.encoding, normalized: norm, words: segmenter.words(norm.text))
    }
}

/// A token as shown to people (`ufsearch analyze`): its normalised text, kind, position and
/// byte range in the original text.
public struct Token: Sendable, Equatable {
    /// The normalised word.
    public var text: String
    /// Han word, letter word or number.
    public var kind: WordKind
    /// The word's position: words count up by one, and punctuation between two words adds one
    /// more, so no phrase of adjacent positions spans punctuation.
    public var position: Int
    /// Original byte range start.
    public var start: Int
    /// Original byte range end (exclusive).
    public var end: Int
}

/// What the matcher indexes: every non-space character or word of the normalised text.
public enum UnitKind: UInt8, Sendable {
    /// One Han or kana character, matched character by character (grep parity).
    case char = 0
    /// A whole letter or number word, matched as a token.
    case word = 1
    /// One punctuation or symbol character.
    case punct = 2
}

/// One matching unit: a range of the normalised text.
public struct MatchUnit: Sendable, Equatable {
    /// What kind of unit.
    public var kind: UnitKind
    /// Start in the normalised UTF-16 text.
    public var start: Int32
    /// End (exclusive) in the normalised UTF-16 text.
    public var end: Int32
}

/// The result of analysing one text.
public struct Analysis: Sendable {
    /// The encoding the source was decoded from.
    public var encoding: SourceEncoding
    /// The normalised text with original byte ranges.
    public var normalized: NormalizedText
    /// ICU's words over the normalised text.
    public var words: [WordSpan]

    /// Creates an analysis from its parts.
    public init(encoding: SourceEncoding, normalized: NormalizedText, words: [WordSpan]) {
        self.encoding = encoding
        self.normalized = normalized
        self.words = words
    }

    /// The normalised text of a word.
    public func string(_ w: WordSpan) -> String {
        UTF16Scalar.string(normalized.text[Int(w.start)..<Int(w.end)])
    }

    /// The original byte range of normalised units `start..<end` (end > start).
    public func originalRange(_ start: Int32, _ end: Int32) -> Range<Int> {
        Int(normalized.origStart[Int(start)])..<Int(normalized.origEnd[Int(end) - 1])
    }

    /// The words as tokens, with positions and original byte ranges.
    public func tokens() -> [Token] {
        var out = [Token]()
        out.reserveCapacity(words.count)
        var position = -1
        var prevEnd: Int32 = 0
        let text = normalized.text
        for w in words {
            var gap = 1
            if position >= 0 {
                var i = Int(prevEnd)
                while i < Int(w.start) {
                    if !CharClass.isSpace(UInt32(text[i])) { gap = 2; break }
                    i += 1
                }
            }
            position += gap
            let r = originalRange(w.start, w.end)
            out.append(Token(text: string(w), kind: w.kind, position: position, start: r.lowerBound, end: r.upperBound))
            prevEnd = w.end
        }
        return out
    }

    /// Calls `body` for every matching unit in order. Han and kana characters are single
    /// units whatever ICU's segmentation; letter and number words (as ICU delimits them) are
    /// single units; every other non-space character is a punctuation unit.
    public func forEachUnit(_ body: (MatchUnit) -> Void) {
        normalized.text.withUnsafeBufferPointer { t in
            let n = t.count
            var i = 0
            var w = 0
            while i < n {
                while w < words.count && Int(words[w].end) <= i { w += 1 }
                let inWord = w < words.count && Int(words[w].start) <= i && words[w].kind != .han
                let (c, len) = UTF16Scalar.decode(t, i)
                if CharClass.isCharUnit(c) {
                    body(MatchUnit(kind: .char, start: Int32(i), end: Int32(i + len)))
                    i += len
                } else if inWord {
                    // The run of non-char-unit characters inside this letter/number word.
                    let wordEnd = Int(words[w].end)
                    var j = i + len
                    while j < wordEnd {
                        let (c2, l2) = UTF16Scalar.decode(t, j)
                        if CharClass.isCharUnit(c2) { break }
                        j += l2
                    }
                    body(MatchUnit(kind: .word, start: Int32(i), end: Int32(j)))
                    i = j
                } else if CharClass.isSpace(c) {
                    i += len
                } else {
                    body(MatchUnit(kind: .punct, start: Int32(i), end: Int32(i + len)))
                    i += len
                }
            }
        }
    }

    /// All matching units, in order.
    public var units: [MatchUnit] {
        var out = [MatchUnit]()
        forEachUnit { out.append($0) }
        return out
    }
}
