import Foundation
import Testing
@testable import UFSearch
import UFTestSupport

/// Golden, unit, limit and fuzz tests for `QueryParser`.
///
/// Golden files: `Golden/parser/cases.txt` (input) and `Golden/parser/cases.golden`
/// (expected rendering). Regenerate the latter with
/// `UFSEARCH_UPDATE_GOLDEN=1 swift test --filter QueryParserTests`.
@Suite struct QueryParserTests {

    // MARK: Golden file

    /// The source-tree directory of the parser golden files (for regeneration).
    static let sourceGoldenDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Golden/parser", isDirectory: true)

    static let updateGolden = ProcessInfo.processInfo.environment["UFSEARCH_UPDATE_GOLDEN"] == "1"

    @Test func goldenCases() throws {
        let directory: URL
        if Self.updateGolden {
            directory = Self.sourceGoldenDirectory
        } else {
            let golden = try #require(Bundle.module.url(forResource: "Golden", withExtension: nil))
            directory = golden.appendingPathComponent("parser", isDirectory: true)
        }
        let cases = try String(contentsOf: directory.appendingPathComponent("cases.txt"), encoding: .utf8)
        let rendered = Self.renderGolden(cases)
        let goldenURL = directory.appendingPathComponent("cases.golden")
        if Self.updateGolden {
            try rendered.write(to: goldenURL, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: goldenURL, encoding: .utf8)
        if rendered != expected {
            let got = rendered.split(separator: "\n", omittingEmptySubsequences: false)
            let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let line = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
            let gotLine = line < got.count ? String(got[line]) : "<end of output>"
            let wantLine = line < want.count ? String(want[line]) : "<end of golden file>"
            Issue.record("""
                cases.golden differs at line \(line + 1):
                  golden: \(wantLine)
                  actual: \(gotLine)
                (rerun with UFSEARCH_UPDATE_GOLDEN=1 to regenerate, then review the diff)
                """)
        }
        #expect(cases.split(separator: "\n").filter { !$0.hasPrefix("#") }.count >= 40)
    }

    /// Renders every case of `cases.txt` as `query: …` followed by `=> sexpr` or
    /// `=> error: …`; comment lines are copied, blank lines separate cases.
    static func renderGolden(_ cases: String) -> String {
        var out = "# Generated from cases.txt by QueryParserTests.goldenCases; do not edit.\n"
        out += "# Regenerate: UFSEARCH_UPDATE_GOLDEN=1 swift test --filter QueryParserTests\n"
        var blankPending = true
        for rawLine in cases.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if line.isEmpty {
                blankPending = true
                continue
            }
            if blankPending {
                out += "\n"
                blankPending = false
            }
            if line.hasPrefix("#") {
                out += line + "\n"
                continue
            }
            out += "query: " + line + "\n"
            do {
                let node = try QueryParser.parse(decodeCase(line))
                out += "=> " + node.sExpression + "\n"
            } catch {
                out += "=> error: " + error.description + "\n"
            }
        }
        return out
    }

    /// Decodes a `cases.txt` line: `{U+XXXX}` is that scalar; `{EMPTY}` is "".
    static func decodeCase(_ line: String) -> String {
        if line == "{EMPTY}" { return "" }
        var result = ""
        var rest = Substring(line)
        while let open = rest.range(of: "{U+") {
            result += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstIndex(of: "}"),
                let value = UInt32(afterOpen[..<close], radix: 16),
                let scalar = Unicode.Scalar(value)
            else {
                result += "{U+"
                rest = afterOpen
                continue
            }
            result.unicodeScalars.append(scalar)
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        result += rest
        return result
    }

    // MARK: API and precedence

    @Test func precedenceAndStructure() throws {
        #expect(try QueryParser.parse("a b OR c d")
            == .or([.and([.term("a"), .term("b")]), .and([.term("c"), .term("d")])]))
        #expect(try QueryParser.parse("a OR b c") == .or([.term("a"), .and([.term("b"), .term("c")])]))
        #expect(try QueryParser.parse("-(a OR b) c") == .and([.not(.or([.term("a"), .term("b")])), .term("c")]))
        #expect(try QueryParser.parse("((a))") == .term("a"))
        #expect(try QueryParser.parse("(a b) (c d)") == .and([.term("a"), .term("b"), .term("c"), .term("d")]))
        #expect(try QueryParser.parse(#"title:"统战 工作" year:2019.."#)
            == .and([.field(.title, "统战 工作", isPhrase: true), .year(lo: 2019, hi: nil)]))
        #expect(try QueryParser.parse(#"宗教 -"Linux 内核" (a OR b)"#).description
            == #"(and (term "宗教") (not (phrase "Linux 内核")) (or (term "a") (term "b")))"#)
    }

    @Test func errorsCarryColumnAndOneLineDescription() {
        #expect(throws: QueryError(message: "empty query", column: 1)) { try QueryParser.parse("") }
        #expect(throws: QueryError(message: "unexpected ')': no group is open", column: 2)) {
            try QueryParser.parse("a)")
        }
        let error = QueryError(message: "empty group '()'", column: 3)
        #expect(error.description == "query error at column 3: empty group '()'")
        // Columns count characters, not bytes: 宗教 is two columns.
        #expect(throws: QueryError(message: "unexpected ')': no group is open", column: 4)) {
            try QueryParser.parse("宗教 )")
        }
    }

    // MARK: Limits

    /// The length is checked before anything is parsed (no timing here: speed is the benchmarks' job).
    @Test func hundredKilobyteQueryFailsWithLengthError() {
        let query = String(repeating: "a ", count: 51_200)  // 102,400 characters
        #expect(throws: QueryError(message: "query too long (102400 characters, at most 4096)", column: 4097)) {
            try QueryParser.parse(query)
        }

        let parens = String(repeating: "(", count: 100_000)
        #expect(throws: QueryError(message: "query too long (100000 characters, at most 4096)", column: 4097)) {
            try QueryParser.parse(parens)
        }
        let chinese = String(repeating: "宗", count: 40_000)
        #expect(throws: QueryError(message: "query too long (40000 characters, at most 4096)", column: 4097)) {
            try QueryParser.parse(chinese)
        }
    }

    @Test func lengthBoundary() throws {
        let ok = String(repeating: "a ", count: 2048)  // exactly 4096 characters
        guard case .and(let children) = try QueryParser.parse(ok) else {
            Issue.record("expected an AND of 2048 terms")
            return
        }
        #expect(children.count == 2048)
        #expect(throws: QueryError(message: "query too long (4097 characters, at most 4096)", column: 4097)) {
            try QueryParser.parse(ok + "a")
        }
        // 4096 multi-byte characters are fine too.
        #expect(try QueryParser.parse(String(repeating: "宗", count: 4096)) == .term(String(repeating: "宗", count: 4096)))
        // One character made of a huge run of combining marks is capped by size.
        let heavy = "a" + String(repeating: "\u{301}", count: 40_000)
        #expect(throws: QueryError(message: "query too long (80001 bytes, at most 65536)", column: 1)) {
            try QueryParser.parse(heavy)
        }
    }

    @Test func nestingLimit() throws {
        let deep32 = String(repeating: "(", count: 32) + "a" + String(repeating: ")", count: 32)
        #expect(try QueryParser.parse(deep32) == .term("a"))
        let deep = String(repeating: "(", count: 2000) + "a" + String(repeating: ")", count: 2000)
        #expect(throws: QueryError(message: "too many nested parentheses (at most 32 levels)", column: 33)) {
            try QueryParser.parse(deep)
        }
        // Long flat chains are iterative, not recursive.
        let chain = Array(repeating: "a", count: 800).joined(separator: " OR ")
        guard case .or(let alternatives) = try QueryParser.parse(chain) else {
            Issue.record("expected an OR of 800 terms")
            return
        }
        #expect(alternatives.count == 800)
    }

    // MARK: Fuzz

    @Test func randomQueriesParseOrThrowQueryError() {
        let pieces = ["(", ")", "\"", "-", "OR", "a", "宗", ":", " ", "year:", "title:", "“", "」", "\\", "2019", ".."]
        var rng = SplitMix64(seed: 0x5EED_0F_0D_57_AC)
        var parsed = 0
        for _ in 0..<2000 {
            let count = Int.random(in: 0...24, using: &rng)
            var query = ""
            for _ in 0..<count { query += pieces.randomElement(using: &rng)! }
            do {
                let node = try QueryParser.parse(query)
                parsed += 1
                if let problem = Self.invariantViolation(node, isRoot: true) {
                    Issue.record("\(problem) in \(node) for query \(String(reflecting: query))")
                }
            } catch {
                let bad = error.column < 1 || error.column > query.count + 1 || error.message.isEmpty
                    || error.description.contains("\n")
                if bad { Issue.record("bad error \(error) for query \(String(reflecting: query))") }
            }
        }
        // The alphabet is chosen so that both outcomes occur often.
        #expect(parsed > 100)
        #expect(parsed < 1900)
    }

    /// Checks the documented `QueryNode` invariants; returns a description of the
    /// first violation.
    static func invariantViolation(_ node: QueryNode, isRoot: Bool = false) -> String? {
        func isNot(_ n: QueryNode) -> Bool {
            if case .not = n { return true }
            return false
        }
        switch node {
        case .term(let text), .phrase(let text):
            return text.isEmpty || text.allSatisfy(\.isWhitespace) ? "empty text" : nil
        case .field(_, let value, _):
            return value.isEmpty ? "empty field value" : nil
        case .year(let lo, let hi):
            if lo == nil, hi == nil { return "open year range" }
            if let lo, let hi, lo > hi { return "inverted year range" }
            return nil
        case .and(let children):
            if children.count < 2 { return "and with < 2 children" }
            if children.contains(where: { if case .and = $0 { return true } else { return false } }) {
                return "nested and"
            }
            if children.allSatisfy(isNot) { return "and of exclusions only" }
            for child in children { if let v = invariantViolation(child) { return v } }
            return nil
        case .or(let children):
            if children.count < 2 { return "or with < 2 children" }
            if children.contains(where: { if case .or = $0 { return true } else { return false } }) {
                return "nested or"
            }
            if children.contains(where: isNot) { return "not directly under or" }
            for child in children { if let v = invariantViolation(child) { return v } }
            return nil
        case .not(let child):
            if isRoot { return "not at the root" }
            if isNot(child) { return "double not" }
            return invariantViolation(child)
        }
    }
}
