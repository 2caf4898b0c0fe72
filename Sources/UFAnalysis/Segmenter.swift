import CICU

/// The kind of a word token.
public enum WordKind: UInt8, Sendable, CustomStringConvertible {
    /// A word of Han (or kana) characters.
    case han = 0
    /// A word of letters (Latin, Cyrillic, Hangul, ...).
    case letter = 1
    /// A number.
    case number = 2

    /// The kind's name as `ufsearch analyze` prints it.
    public var description: String {
        switch self {
        case .han: return "han"
        case .letter: return "letter"
        case .number: return "number"
        }
    }
}

/// One ICU word: a range of UTF-16 units in the normalised text.
public struct WordSpan: Sendable, Equatable {
    /// Start offset in the normalised UTF-16 text.
    public var start: Int32
    /// End offset (exclusive) in the normalised UTF-16 text.
    public var end: Int32
    /// The word's kind.
    public var kind: WordKind
}

/// ICU's dictionary-based word BreakIterator (locale zh). Not thread-safe: one per thread.
public final class Segmenter {
    private let icu: OpaquePointer
    private var starts: [Int32] = []
    private var ends: [Int32] = []
    private var statuses: [Int32] = []

    /// Opens a word break iterator for `locale`.
    public init(locale: String = "zh") throws {
        var err: Int32 = 0
        guard let p = cicu_breaker_open(locale, &err) else { throw AnalysisError.icu(operation: "open word break iterator", code: err) }
        icu = p
    }

    deinit { cicu_breaker_close(icu) }

    /// Makes ICU build its dictionary engine for Han text now. ICU builds it (with its Unicode
    /// property sets: about 1 ms) on a process's first Han word and keeps it for every break
    /// iterator after, so a one-query process can have it built on another core while it
    /// opens the index.
    public static func prepareHanEngine() {
        _ = try? Segmenter().words(Array("中文".utf16))
    }

    /// The words of `text` (numbers, letter words, Han words), in order. Spaces and
    /// punctuation produce no word: letter and number words that ICU joins across punctuation
    /// (`2019,2020`, `debian.org`) are cut there (see ``CharClass/isPunctuationOrSymbol(_:)``).
    public func words(_ text: [UInt16]) -> [WordSpan] {
        let n = text.count
        if n == 0 { return [] }
        if starts.count < n {
            starts = [Int32](repeating: 0, count: n)
            ends = [Int32](repeating: 0, count: n)
            statuses = [Int32](repeating: 0, count: n)
        }
        let count = text.withUnsafeBufferPointer { t in
            starts.withUnsafeMutableBufferPointer { s in
                ends.withUnsafeMutableBufferPointer { e in
                    statuses.withUnsafeMutableBufferPointer { st in
                        cicu_breaker_words(icu, t.baseAddress, Int32(n), s.baseAddress, e.baseAddress, st.baseAddress)
                    }
                }
            }
        }
        guard count > 0 else { return [] }
        var out = [WordSpan]()
        out.reserveCapacity(Int(count))
        text.withUnsafeBufferPointer { t in
            for k in 0..<Int(count) {
                let st = statuses[k]
                let kind: WordKind = st >= 300 ? .han : st >= 200 ? .letter : .number
                if kind == .han {
                    out.append(WordSpan(start: starts[k], end: ends[k], kind: kind))
                } else {
                    Self.appendPieces(of: WordSpan(start: starts[k], end: ends[k], kind: kind), in: t, to: &out)
                }
            }
        }
        return out
    }

    /// Appends `word` (a letter or number word) to `out`, or, when it holds punctuation or
    /// symbols (``CharClass/isPunctuationOrSymbol(_:)``), the runs between them: each run is a
    /// number when it holds no letter, else a letter word.
    @inline(__always)
    static func appendPieces(of word: WordSpan, in t: UnsafeBufferPointer<UInt16>, to out: inout [WordSpan]) {
        let end = Int(word.end)
        var i = Int(word.start)
        var cut = false
        var runStart = i
        var letters = false
        while i < end {
            let (c, len) = UTF16Scalar.decode(t, i)
            if CharClass.isPunctuationOrSymbol(c) {
                cut = true
                if runStart < i { out.append(WordSpan(start: Int32(runStart), end: Int32(i), kind: letters ? .letter : .number)) }
                runStart = i + len
                letters = false
            } else if !letters && (c < 0x30 || c > 0x39) && (c < 0x80 || Unicode.Scalar(c)?.properties.numericType == nil) {
                letters = true
            }
            i += len
        }
        if !cut {
            out.append(word)
        } else if runStart < end {
            out.append(WordSpan(start: Int32(runStart), end: Int32(end), kind: letters ? .letter : .number))
        }
    }

    /// Raw segmentation of `text` without collecting words: the ceiling the analyser is
    /// measured against. Returns the number of words.
    public func countWords(_ text: [UInt16]) -> Int {
        text.withUnsafeBufferPointer { Int(cicu_breaker_count(icu, $0.baseAddress, Int32($0.count))) }
    }

    /// ICU's version, such as "72.1".
    public static var icuVersion: String {
        var buf = [CChar](repeating: 0, count: 32)
        cicu_version(&buf, 32)
        return String(cString: buf)
    }
}
