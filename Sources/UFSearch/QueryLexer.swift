// The query language's lexer: characters → tokens (terms, phrases, field filters, year ranges,
// OR, -, parentheses), each with its column for error messages. QueryParser parses the tokens.

struct QueryToken: Equatable {
    enum Kind: Equatable {
        case term(String)
        case phrase(String)
        case field(QueryField, String, isPhrase: Bool)
        case year(lo: Int?, hi: Int?)
        case or
        case minus
        case leftParen
        case rightParen
    }

    let kind: Kind
    /// 1-based character column of the token's first character.
    let column: Int

    var isOr: Bool { kind == .or }
    var isRightParen: Bool { kind == .rightParen }
}

// MARK: - Lexer

struct QueryLexer {
    let chars: [Character]
    private var index = 0
    private var tokens: [QueryToken] = []

    init(chars: [Character]) {
        self.chars = chars
    }

    private static let yearHelp = "use year:2019, year:2019..2021, year:2019.. or year:..2021"

    /// The closing delimiter of a phrase opened by `c`, if `c` opens one.
    static func closingQuote(for c: Character) -> Character? {
        switch c {
        case "\"": return "\""
        case "“": return "”"
        case "「": return "」"
        default: return nil
        }
    }

    /// Characters that end a term.
    static func isDelimiter(_ c: Character) -> Bool {
        if c.isWhitespace { return true }
        switch c {
        case "(", ")", "\"", "“", "”", "「", "」": return true
        default: return false
        }
    }

    mutating func tokenize() throws(QueryError) -> [QueryToken] {
        var afterMinus = false
        while index < chars.count {
            let c = chars[index]
            let column = index + 1
            if c.isWhitespace {
                index += 1
                continue
            }
            switch c {
            case "(":
                tokens.append(QueryToken(kind: .leftParen, column: column))
                index += 1
            case ")":
                tokens.append(QueryToken(kind: .rightParen, column: column))
                index += 1
            case "”", "」":
                throw QueryError(message: "unexpected '\(c)': no phrase is open", column: column)
            case "-":
                let next: Character? = index + 1 < chars.count ? chars[index + 1] : nil
                guard let next, !next.isWhitespace, next != ")" else {
                    throw QueryError(message: "'-' must be followed by a term to exclude", column: column)
                }
                if next == "-" {
                    throw QueryError(
                        message: "'-' cannot be followed by another '-'; quote a term that starts with '-'",
                        column: column)
                }
                tokens.append(QueryToken(kind: .minus, column: column))
                index += 1
                afterMinus = true
                continue
            default:
                if Self.closingQuote(for: c) != nil {
                    let text = try scanPhrase()
                    tokens.append(QueryToken(kind: .phrase(text), column: column))
                } else {
                    try scanWord(afterMinus: afterMinus)
                }
            }
            afterMinus = false
        }
        return tokens
    }

    /// Scans a phrase starting at the opening quote at `index`; returns its text
    /// with escapes resolved and leaves `index` after the closing quote.
    private mutating func scanPhrase() throws(QueryError) -> String {
        let open = chars[index]
        let close = Self.closingQuote(for: open)!
        let openColumn = index + 1
        index += 1
        var text = ""
        while true {
            guard index < chars.count else {
                let by = close == "\"" ? "" : " by '\(close)'"
                throw QueryError(
                    message: "unbalanced quote: the phrase opened at column \(openColumn) is not closed\(by)",
                    column: chars.count + 1)
            }
            let c = chars[index]
            if c == "\\", index + 1 < chars.count {
                let next = chars[index + 1]
                if next == close || next == "\"" || next == "\\" {
                    text.append(next)
                    index += 2
                    continue
                }
            }
            index += 1
            if c == close { break }
            text.append(c)
        }
        if text.allSatisfy(\.isWhitespace) {
            throw QueryError(message: "empty phrase", column: openColumn)
        }
        return text
    }

    /// Scans a word (a run of non-delimiters) starting at `index`: the `OR`
    /// operator, a filter, or a plain term.
    private mutating func scanWord(afterMinus: Bool) throws(QueryError) {
        let start = index
        while index < chars.count, !Self.isDelimiter(chars[index]) {
            index += 1
        }
        let word = chars[start..<index]
        let column = start + 1
        if !afterMinus, word.elementsEqual(["O", "R"]) {
            tokens.append(QueryToken(kind: .or, column: column))
            return
        }
        for (prefix, field) in Self.filterPrefixes where word.starts(with: prefix) {
            let value = word.dropFirst(prefix.count)
            let name = String(prefix)
            if field == nil {  // year:
                if value.isEmpty {
                    let what = index < chars.count && Self.closingQuote(for: chars[index]) != nil
                        ? "cannot take a phrase" : "needs a value"
                    throw QueryError(message: "'\(name)' \(what): \(Self.yearHelp)", column: column)
                }
                tokens.append(QueryToken(kind: try Self.year(value, column: column), column: column))
                return
            }
            let field = field!
            if !value.isEmpty {
                tokens.append(QueryToken(kind: .field(field, String(value), isPhrase: false), column: column))
                return
            }
            if index < chars.count, Self.closingQuote(for: chars[index]) != nil {
                let text = try scanPhrase()
                tokens.append(QueryToken(kind: .field(field, text, isPhrase: true), column: column))
                return
            }
            if index < chars.count, chars[index] == "(" {
                throw QueryError(
                    message: "'\(name)' cannot take a group; write \(name)a OR \(name)b",
                    column: column)
            }
            throw QueryError(message: "'\(name)' needs a value", column: column)
        }
        var term = ""  // appended one by one: String(word) is generic over the slice type
        for c in word { term.append(c) }
        tokens.append(QueryToken(kind: .term(term), column: column))
    }

    /// Filter prefixes; `nil` stands for `year:`.
    private static let filterPrefixes: [([Character], QueryField?)] = [
        (Array("title:"), .title),
        (Array("path:"), .path),
        (Array("year:"), nil),
    ]

    /// Parses the value of `year:`: `2019`, `2019..2021`, `2019..` or `..2021`.
    private static func year(_ value: ArraySlice<Character>, column: Int) throws(QueryError) -> QueryToken.Kind {
        let invalid = QueryError(
            message: "invalid year filter 'year:\(String(value))': \(yearHelp)", column: column)
        guard let dots = value.indices.first(where: { i in
            value[i] == "." && i + 1 < value.endIndex && value[i + 1] == "."
        }) else {
            guard let year = fourDigits(value) else { throw invalid }
            return .year(lo: year, hi: year)
        }
        let loText = value[value.startIndex..<dots]
        let hiText = value[(dots + 2)...]
        if loText.isEmpty, hiText.isEmpty { throw invalid }
        var lo: Int?
        var hi: Int?
        if !loText.isEmpty {
            guard let y = fourDigits(loText) else { throw invalid }
            lo = y
        }
        if !hiText.isEmpty {
            guard let y = fourDigits(hiText) else { throw invalid }
            hi = y
        }
        if let lo, let hi, lo > hi {
            throw QueryError(
                message: "invalid year range \(lo)..\(hi): the first year is after the last",
                column: column)
        }
        return .year(lo: lo, hi: hi)
    }

    /// The value of exactly four ASCII digits, else nil.
    private static func fourDigits(_ text: ArraySlice<Character>) -> Int? {
        guard text.count == 4 else { return nil }
        var n = 0
        for c in text {
            guard let a = c.asciiValue, a >= 0x30, a <= 0x39 else { return nil }
            n = n * 10 + Int(a - 0x30)
        }
        return n
    }
}
