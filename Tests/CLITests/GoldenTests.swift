import Foundation
import Testing

/// One CLI run whose complete output (stdout, stderr, exit code) is compared with
/// `Golden/<name>.golden`.
///
/// Regenerate after an intended change, then review the diff:
/// `UFSEARCH_UPDATE_GOLDEN=1 swift test --filter CLITests`.
struct GoldenCase: Sendable, CustomTestStringConvertible {
    enum Setup: Sendable {
        /// The shared fixture index (read-only commands), `UFSEARCH_INDEX=idx`.
        case fixture
        /// A fresh copy of the documents, no index.
        case docs
        /// A fresh copy of the documents, indexed into `idx/` (for commands that write).
        case indexed
    }

    var name: String
    var args: [String]
    var stdin: String? = nil
    var setup: Setup = .fixture
    var env: [String: String] = [:]

    var testDescription: String { name }
}

enum GoldenCases {
    static let zongjiao = "宗教"
    static let gbDoc = "docs/2024-国务院-网络数据安全管理条例.txt"
    static let twDoc = "docs/2020-臺灣-宗教團體法草案說明.txt"

    static let all: [GoldenCase] = [
        // Building and syncing.
        GoldenCase(name: "index", args: CLI.indexArgs, setup: .docs),
        GoldenCase(name: "index-unchanged", args: CLI.indexArgs, setup: .indexed),
        GoldenCase(name: "index-missing-path", args: ["index", "--index", "idx", "no-such-dir"], setup: .docs),
        GoldenCase(name: "rm-one", args: ["rm", "--index", "idx", "docs/empty.txt"], setup: .indexed),
        GoldenCase(name: "rm-nothing", args: ["rm", "--index", "idx", "docs/no-such-file.txt"], setup: .indexed),

        // Queries: output forms.
        GoldenCase(name: "query-default", args: ["query", "宗教中國化"]),
        GoldenCase(name: "query-json", args: ["query", "--json", zongjiao]),
        GoldenCase(name: "query-files", args: ["query", "--files", "--all", zongjiao]),
        GoldenCase(name: "query-count", args: ["query", "--count", zongjiao]),
        GoldenCase(name: "query-limit-offset", args: ["query", "-n", "1", "--offset", "1", zongjiao]),
        GoldenCase(name: "query-explain", args: ["query", "--explain", "debian"]),
        GoldenCase(name: "query-explain-json", args: ["query", "--json", "--explain", "宗教中國化"]),
        GoldenCase(name: "query-color", args: ["query", "--color", "always", "团结进步"]),
        GoldenCase(name: "query-phrase-latin", args: ["query", "--files", "\"Linux 内核\""]),
        GoldenCase(name: "query-and-latin", args: ["query", "--files", "Linux 内核"]),
        GoldenCase(name: "query-fullwidth", args: ["query", "--files", "app 12345"]),
        GoldenCase(name: "query-gb18030", args: ["query", "--json", "网络数据安全"]),
        GoldenCase(name: "query-or-not", args: ["query", "--files", "(个人信息 OR 网络数据) -ＡＰＰ"]),
        GoldenCase(name: "query-filters", args: ["query", "--files", "--all", "year:2019..2021 title:宗教"]),

        // Exit codes.
        GoldenCase(name: "exit-match", args: ["query", "--count", "debian"]),
        GoldenCase(name: "exit-nomatch", args: ["query", "不存在的词语"]),
        GoldenCase(name: "exit-nomatch-loose-hint", args: ["query", "数据跨境"]),
        GoldenCase(name: "exit-error-missing-index", args: ["query", "--index", "no-such-index", zongjiao]),
        GoldenCase(name: "exit-error-env-missing-index", args: ["query", zongjiao], env: ["UFSEARCH_INDEX": "nowhere"]),
        GoldenCase(name: "exit-error-unknown-command", args: ["frobnicate"]),
        GoldenCase(name: "query-loose", args: ["query", "--loose", "--files", "数据跨境"]),

        // Queries from stdin.
        GoldenCase(name: "query-stdin", args: ["query", "-"],
                   stdin: "宗教中國化\n不存在的词语\n\"unbalanced\n\n   \n个人信息 OR 网络数据\ndebian\n"),
        GoldenCase(name: "query-stdin-files", args: ["query", "--files", "-"], stdin: "宗教\ndebianutils\n"),
        GoldenCase(name: "query-stdin-count", args: ["query", "--count", "-"], stdin: "宗教\n数据跨境\nOR OR\n"),
        GoldenCase(name: "query-stdin-nomatch", args: ["query", "-"], stdin: "不存在的词语\n"),

        // Malformed queries: exit 2, one line on stderr.
        GoldenCase(name: "malformed-unbalanced-quote", args: ["query", "\"宗教"]),
        GoldenCase(name: "malformed-unbalanced-paren", args: ["query", "(宗教 OR 中国"]),
        GoldenCase(name: "malformed-lone-minus", args: ["query", "宗教 -"]),
        GoldenCase(name: "malformed-only-excluded", args: ["query", "--", "-宗教"]),
        GoldenCase(name: "malformed-or-or", args: ["query", "OR OR"]),
        GoldenCase(name: "malformed-empty", args: ["query", ""]),
        GoldenCase(name: "malformed-blank", args: ["query", "   "]),
        GoldenCase(name: "malformed-no-query", args: ["query"]),
        GoldenCase(name: "malformed-100k", args: ["query", String(repeating: "宗教", count: 17_000)]),
        GoldenCase(name: "malformed-options", args: ["query", "--json", "--files", zongjiao]),
        GoldenCase(name: "malformed-threads", args: ["query", "--threads", "0", zongjiao]),
        GoldenCase(name: "query-one-thread", args: ["query", "--threads", "1", zongjiao]),

        // show.
        GoldenCase(name: "show-gb18030", args: ["show", gbDoc]),
        GoldenCase(name: "show-id", args: ["show", "1"]),
        GoldenCase(name: "show-highlight", args: ["show", "--color", "always", "--highlight", "宗教中国化", twDoc]),
        GoldenCase(name: "show-empty", args: ["show", "docs/empty.txt"]),
        GoldenCase(name: "show-skipped-binary", args: ["show", "docs/logo.bin"]),

        // analyze.
        GoldenCase(name: "analyze", args: ["analyze", "宗教中國化"]),
        GoldenCase(name: "analyze-json", args: ["analyze", "--json", "宗教中國化"]),
        GoldenCase(name: "analyze-mixed", args: ["analyze", "--json", "Linux内核 ＱＱ １２３ Debian/debianutils"]),
        GoldenCase(name: "analyze-stdin", args: ["analyze", "-"], stdin: "民族团结进步，宗教，中国\n"),

        // stats and check.
        GoldenCase(name: "stats", args: ["stats"]),
        GoldenCase(name: "check", args: ["check"]),
    ]
}

enum Golden {
    /// The text of a golden: the command, stdin, stdout, stderr and exit code.
    static func render(_ c: GoldenCase, _ r: CLI.Result) -> String {
        var s = "$ "
        for (k, v) in c.env.sorted(by: { $0.key < $1.key }) { s += "\(k)=\(quote(v)) " }
        if c.setup == .fixture && c.env["UFSEARCH_INDEX"] == nil { s += "UFSEARCH_INDEX=idx " }
        s += (["ufsearch"] + c.args.map(quote)).joined(separator: " ") + "\n"
        if let i = c.stdin { s += "--- stdin\n" + block(Array(i.utf8)) }
        s += "--- stdout\n" + block(r.stdout)
        s += "--- stderr\n" + block(r.stderr)
        s += "--- exit \(r.code)\(r.signaled ? " (killed by a signal)" : "")\n"
        return normalize(s)
    }

    /// Output text as it goes in a golden; a missing final newline is marked.
    static func block(_ bytes: [UInt8]) -> String {
        let t = String(decoding: bytes, as: UTF8.self)
        if t.isEmpty || t.hasSuffix("\n") { return t }
        return t + "\n\\ no newline at end\n"
    }

    /// Shell-style quoting for the command line; very long arguments are elided.
    static func quote(_ a: String) -> String {
        if a.utf8.count > 200 {
            return "<\(a.utf8.count)-byte argument: \(String(a.prefix(8)))…>"
        }
        let safe = !a.isEmpty && a.unicodeScalars.allSatisfy {
            $0.value > 0x7F || CharacterSet.alphanumerics.contains($0) || "-_./:=,".unicodeScalars.contains($0)
        }
        return safe ? a : "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Masks what varies from run to run: the timing in write summaries.
    static func normalize(_ s: String) -> String {
        let timing = try! Regex(#"in [0-9]+\.[0-9]+ s \([0-9]+\.[0-9]+ MB/s\)"#)
        return s.replacing(timing, with: "in <seconds> s (<rate> MB/s)")
    }

    static func file(_ name: String) -> URL { CLI.goldenDirectory.appendingPathComponent(name + ".golden") }
}

@Suite("CLI goldens")
struct GoldenTests {
    @Test(arguments: GoldenCases.all)
    func golden(_ c: GoldenCase) throws {
        let result: CLI.Result
        switch c.setup {
        case .fixture:
            result = try Fixture.shared().run(c.args, stdin: c.stdin.map { Array($0.utf8) }, env: c.env)
        case .docs, .indexed:
            let dir = try CLI.makeWorkspace(c.name)
            defer { CLI.removeTemp(dir) }
            if c.setup == .indexed {
                let r = try CLI.run(CLI.indexArgs, cwd: dir)
                try #require(r.code == 0, "indexing the fixture failed: \(r)")
            }
            result = try CLI.run(c.args, cwd: dir, stdin: c.stdin.map { Array($0.utf8) }, env: c.env)
        }
        // Never a crash, whatever the case.
        #expect(!result.signaled, "ufsearch \(c.name) died from a signal: \(result)")
        #expect(!result.err.contains("Fatal error"), "ufsearch \(c.name) hit a Swift fatal error: \(result)")

        let actual = Golden.render(c, result)
        let url = Golden.file(c.name)
        if CLI.updateGolden {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing golden \(url.path); create it with UFSEARCH_UPDATE_GOLDEN=1 swift test --filter CLITests\n\(actual)")
            return
        }
        #expect(actual == expected, "output differs from Golden/\(c.name).golden (if intended: UFSEARCH_UPDATE_GOLDEN=1 swift test --filter CLITests, then review the diff)")
    }

    /// Every golden file belongs to a case (a renamed case leaves no stale file behind).
    @Test func noStaleGoldens() throws {
        let names = Set(GoldenCases.all.map(\.name))
        #expect(names.count == GoldenCases.all.count, "duplicate golden case names")
        let files = try FileManager.default.contentsOfDirectory(atPath: CLI.goldenDirectory.path)
            .filter { $0.hasSuffix(".golden") }.map { String($0.dropLast(".golden".count)) }
        for f in files where !names.contains(f) {
            if CLI.updateGolden {
                try FileManager.default.removeItem(at: Golden.file(f))
            } else {
                Issue.record("Golden/\(f).golden has no case in GoldenCases.all")
            }
        }
    }
}
