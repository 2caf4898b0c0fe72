// The query-language parser for `ufsearch query`.
//
// Grammar (tokens are separated by any Unicode whitespace, including U+3000):
//
//     query     := orExpr END
//     orExpr    := andExpr ( "OR" andExpr )*
//     andExpr   := unary+                      -- implicit AND, juxtaposition
//     unary     := "-" primary | primary
//     primary   := TERM | PHRASE | FIELD | YEAR | "(" orExpr ")"
//
// Precedence: implicit AND binds tighter than OR, as in most boolean languages:
// `a b OR c d` is `(a AND b) OR (c AND d)`, and `a OR b c` is `a OR (b AND c)`.
// Use parentheses for anything else: `(a OR b) c`.
//
// Lexical rules:
// - `OR` is an operator only as a whole word in upper case; `or`, `Or`, `ORa`
//   and `-OR` (the excluded word "OR") are ordinary text.
// - `-` at the start of a token excludes the following term, phrase, filter or
//   group. It must be followed directly by one of those (not by whitespace, `)`,
//   the end, or another `-`). A `-` inside a word is text: `2019-2021`, `C-3`.
// - Phrases are delimited by `"…"`, `“…”` or `「…」`. Inside, a backslash escapes
//   the closing quote, `"` and `\`; any other backslash is kept as is.
//   A closing `”` or `」` with no open phrase is an error.
// - Only ASCII `(` `)` group. Full-width （ ） and ： are ordinary text.
// - `title:`, `path:` and `year:` (lower case) at the start of a word are filters;
//   any other `xxx:` (e.g. `http://x.cn`) is a plain term.
// - A term is a maximal run of characters that are not whitespace, quotes or
//   ASCII parentheses. Text is kept raw: no normalisation happens here.
//
// Exclusions: every conjunction that stands on its own (the whole query, an
// alternative of OR, the operand of `-`) needs at least one clause that is not
// excluded, so `-a`, `a OR -b` and `-(-a)` are errors while `-(a OR b) c` is fine.
//
// Limits: at most 4096 characters and 32 levels of parentheses. The lexer is
// iterative and recursion happens only at `(`, so no input can exhaust the stack.

/// Parses `ufsearch query` strings into a ``QueryNode`` tree.
///
/// ```swift
/// let node = try QueryParser.parse(#"(统战 OR 统一战线) -"Linux 内核" year:2019..2021"#)
/// print(node)  // (and (or (term "统战") (term "统一战线")) (not (phrase "Linux 内核")) (year 2019 2021))
/// ```
public enum QueryParser {
    /// The longest accepted query, in characters (extended grapheme clusters).
    public static let maxLength = 4096
    /// The deepest accepted nesting of parentheses.
    public static let maxDepth = 32
    /// A sanity cap on the UTF-8 size, against a few characters made of huge
    /// runs of combining marks.
    static let maxUTF8Length = 16 * maxLength

    /// Parses `text` into a query tree.
    ///
    /// Implicit AND (juxtaposition) binds tighter than `OR`:
    /// `a b OR c d` is `(a b) OR (c d)`.
    ///
    /// - Throws: ``QueryError`` with a 1-based character column when the query is
    ///   empty, too long, too deeply nested or malformed.
    public static func parse(_ text: String) throws(QueryError) -> QueryNode {
        let utf8Count = text.utf8.count
        if utf8Count > maxLength {
            let count = text.count
            if count > maxLength {
                throw QueryError(
                    message: "query too long (\(count) characters, at most \(maxLength))",
                    column: maxLength + 1)
            }
            if utf8Count > maxUTF8Length {
                throw QueryError(
                    message: "query too long (\(utf8Count) bytes, at most \(maxUTF8Length))",
                    column: 1)
            }
        }
        let chars = Array(text)
        var lexer = QueryLexer(chars: chars)
        let tokens = try lexer.tokenize()
        var parser = QuerySyntaxParser(tokens: tokens, endColumn: chars.count + 1)
        return try parser.parseQuery()
    }
}

// MARK: - Tokens

fileprivate struct QueryToken: Equatable {
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

fileprivate struct QueryLexer {
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

// MARK: - Parser

/// Recursive descent over the token list; recursion only at `(`, bounded by
/// ``QueryParser/maxDepth``.
fileprivate struct QuerySyntaxParser {
    let tokens: [QueryToken]
    /// The column one past the last character, for errors at the end.
    let endColumn: Int
    private var position = 0

    init(tokens: [QueryToken], endColumn: Int) {
        self.tokens = tokens
        self.endColumn = endColumn
    }

    private var current: QueryToken? { position < tokens.count ? tokens[position] : nil }

    mutating func parseQuery() throws(QueryError) -> QueryNode {
        guard let first = current else {
            throw QueryError(message: "empty query", column: 1)
        }
        let node = try parseOr(depth: 0)
        if let extra = current {
            // parseOr stops only at the end or at a ')' it cannot match.
            throw QueryError(message: "unexpected ')': no group is open", column: extra.column)
        }
        if Self.isExclusionOnly(node) {
            throw QueryError(message: "a query needs at least one term that is not excluded", column: first.column)
        }
        return node
    }

    /// orExpr := andExpr ( "OR" andExpr )*
    private mutating func parseOr(depth: Int) throws(QueryError) -> QueryNode {
        var alternatives: [(node: QueryNode, column: Int)] = []
        var lastOr: QueryToken?
        while true {
            guard let token = current, !token.isRightParen else {
                if let lastOr {
                    throw QueryError(message: "'OR' needs a term on both sides", column: lastOr.column)
                }
                // Groups check for '()' before calling, so this is the top level.
                if let token = current {
                    throw QueryError(message: "unexpected ')': no group is open", column: token.column)
                }
                throw QueryError(message: "empty query", column: 1)
            }
            if token.isOr {
                throw QueryError(message: "'OR' needs a term on both sides", column: token.column)
            }
            let node = try parseAnd(depth: depth)
            alternatives.append((node, token.column))
            guard let next = current, next.isOr else { break }
            lastOr = next
            position += 1
        }
        if alternatives.count == 1 { return alternatives[0].node }
        var children: [QueryNode] = []
        for alternative in alternatives {
            if Self.isExclusionOnly(alternative.node) {
                throw QueryError(
                    message: "each side of 'OR' needs at least one term that is not excluded",
                    column: alternative.column)
            }
            if case .or(let nested) = alternative.node {
                children.append(contentsOf: nested)
            } else {
                children.append(alternative.node)
            }
        }
        return .or(children)
    }

    /// andExpr := unary+ (stops before OR, ')' or the end)
    private mutating func parseAnd(depth: Int) throws(QueryError) -> QueryNode {
        var children: [QueryNode] = []
        while let token = current, !token.isOr, !token.isRightParen {
            let node = try parseUnary(depth: depth)
            if case .and(let nested) = node {
                children.append(contentsOf: nested)
            } else {
                children.append(node)
            }
        }
        return children.count == 1 ? children[0] : .and(children)
    }

    /// unary := "-" primary | primary
    private mutating func parseUnary(depth: Int) throws(QueryError) -> QueryNode {
        guard let token = current, token.kind == .minus else {
            return try parsePrimary(depth: depth)
        }
        position += 1
        // The lexer only emits '-' directly before a term, phrase, filter or '('.
        let operand = try parsePrimary(depth: depth)
        if Self.isExclusionOnly(operand) {
            throw QueryError(
                message: "an excluded group needs at least one term that is not excluded",
                column: token.column)
        }
        return .not(operand)
    }

    /// primary := TERM | PHRASE | FIELD | YEAR | "(" orExpr ")"
    private mutating func parsePrimary(depth: Int) throws(QueryError) -> QueryNode {
        guard let token = current else {
            throw QueryError(message: "'-' must be followed by a term to exclude", column: endColumn)
        }
        switch token.kind {
        case .term(let text):
            position += 1
            return .term(text)
        case .phrase(let text):
            position += 1
            return .phrase(text)
        case .field(let field, let value, let isPhrase):
            position += 1
            return .field(field, value, isPhrase: isPhrase)
        case .year(let lo, let hi):
            position += 1
            return .year(lo: lo, hi: hi)
        case .leftParen:
            if depth >= QueryParser.maxDepth {
                throw QueryError(
                    message: "too many nested parentheses (at most \(QueryParser.maxDepth) levels)",
                    column: token.column)
            }
            position += 1
            let unclosed = QueryError(
                message: "unbalanced '(': the group opened at column \(token.column) is not closed",
                column: endColumn)
            guard let first = current else { throw unclosed }
            if first.isRightParen {
                throw QueryError(message: "empty group '()'", column: token.column)
            }
            let node = try parseOr(depth: depth + 1)
            guard let close = current, close.isRightParen else { throw unclosed }
            position += 1
            return node
        case .or:
            throw QueryError(message: "'OR' needs a term on both sides", column: token.column)
        case .minus:
            throw QueryError(message: "'-' cannot be followed by another '-'", column: token.column)
        case .rightParen:
            throw QueryError(message: "unexpected ')': no group is open", column: token.column)
        }
    }

    /// True when `node` can only exclude: a `.not`, or an `.and` of `.not`s.
    static func isExclusionOnly(_ node: QueryNode) -> Bool {
        switch node {
        case .not:
            return true
        case .and(let children):
            return children.allSatisfy { child in
                if case .not = child { return true }
                return false
            }
        default:
            return false
        }
    }
}
