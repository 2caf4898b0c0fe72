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
