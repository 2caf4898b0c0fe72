import UFAnalysis
import UFIndex

/// One unit of a query sequence, as the index keys it.
public enum QueryUnit: Equatable, Sendable {
    /// A Han or kana character (matched through bigram terms).
    case char(UInt32)
    /// A letter/number word or punctuation character (a 'T' term).
    case token([UInt8])
}

/// A run of text that must occur contiguously: a bare term or a quoted phrase, analysed.
public struct SequenceQuery: Equatable, Sendable {
    /// The user's text.
    public var raw: String
    /// The normalised text.
    public var normalized: String
    /// Its matching units, in order.
    public var units: [QueryUnit]
    /// Its ICU words as term keys ('W' for Han words, 'T' for letter/number words), for BM25.
    public var words: [[UInt8]]
    /// Its ICU words as text, for `--explain` and `--loose` hints.
    public var wordTexts: [String]
}

/// The executable form of a query: the parser's tree with every text analysed.
public indirect enum QueryPlan: Equatable, Sendable {
    /// Documents containing the sequence.
    case sequence(SequenceQuery)
    /// Documents whose normalised title contains the text.
    case title(String)
    /// Documents whose path contains the text.
    case path(String)
    /// Documents whose year is in the range.
    case year(lo: Int?, hi: Int?)
    /// All children match.
    case and([QueryPlan])
    /// Any child matches.
    case or([QueryPlan])
    /// The child does not match (only inside `and`).
    case not(QueryPlan)
    /// Matches nothing (a term that normalises to nothing, such as a lone combining mark).
    case nothing

    /// Every positive sequence (not under `not`), in query order.
    public var positiveSequences: [SequenceQuery] {
        switch self {
        case .sequence(let s): return [s]
        case .and(let c), .or(let c): return c.flatMap(\.positiveSequences)
        case .not, .title, .path, .year, .nothing: return []
        }
    }
}

/// Turns a parsed query into a plan, analysing text with the same pipeline as documents.
public struct QueryCompiler {
    let analyzer: Analyzer
    /// When true (`--loose`), a bare term matches when each of its ICU words occurs somewhere
    /// in the document, rather than the whole run contiguously.
    public var loose = false

    /// A compiler using `analyzer`.
    public init(analyzer: Analyzer, loose: Bool = false) {
        self.analyzer = analyzer
        self.loose = loose
    }

    /// Compiles a parsed query.
    public func compile(_ node: QueryNode) -> QueryPlan {
        switch node {
        case .term(let t):
            let s = sequence(t)
            if loose && s.wordTexts.count > 1 {
                return .and(s.wordTexts.map { .sequence(sequence($0)) })
            }
            return s.units.isEmpty ? .nothing : .sequence(s)
        case .phrase(let t):
            let s = sequence(t)
            return s.units.isEmpty ? .nothing : .sequence(s)
        case .field(.title, let v, _):
            return .title(analyzer.normalizer.normalize(v).string)
        case .field(.path, let v, _):
            return .path(v)
        case .year(let lo, let hi):
            return .year(lo: lo, hi: hi)
        case .and(let c):
            return .and(c.map(compile))
        case .or(let c):
            return .or(c.map(compile))
        case .not(let c):
            return .not(compile(c))
        }
    }

    /// Analyses one run of text.
    public func sequence(_ text: String) -> SequenceQuery {
        let a = analyzer.analyze(text: text)
        var units = [QueryUnit]()
        let t = a.normalized.text
        a.forEachUnit { u in
            let s = UTF16Scalar.string(t[Int(u.start)..<Int(u.end)])
            if u.kind == .char, let c = s.unicodeScalars.first {
                units.append(.char(c.value))
            } else {
                units.append(.token(TermKey.text(.token, s)))
            }
        }
        var words = [[UInt8]]()
        var texts = [String]()
        for w in a.words {
            let s = a.string(w)
            texts.append(s)
            words.append(TermKey.text(w.kind == .han ? .word : .token, s))
        }
        return SequenceQuery(raw: text, normalized: a.normalized.string, units: units, words: words, wordTexts: texts)
    }
}
