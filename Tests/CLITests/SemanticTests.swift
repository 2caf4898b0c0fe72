import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// The fixture documents, by role.
enum Doc {
    static let simplified = "docs/2019-国家宗教事务局-关于坚持宗教中国化方向的意见.txt"
    static let traditional = "docs/2020-臺灣-宗教團體法草案說明.txt"
    static let fullwidth = "docs/2021-网信办-移动应用程序个人信息保护规定.txt"
    static let united = "docs/2022-市委统战部-上半年统战工作情况.txt"  // 民族团⏎结进步, 宗教，中国, 数据，跨境
    static let debian = "docs/2023-开源软件-Debian发行版说明.txt"      // Debian, Linux 内核
    static let tools = "docs/2023-开源软件-软件包工具说明.txt"         // debianutils, linux … 内核 apart
    static let gb18030 = "docs/2024-国务院-网络数据安全管理条例.txt"
    static let empty = "docs/empty.txt"
    static let binary = "docs/logo.bin"

    static let indexed = [simplified, traditional, fullwidth, united, debian, tools, gb18030, empty]
}

/// Semantic expectations checked directly, not through goldens.
@Suite("CLI semantics")
struct SemanticTests {
    /// `query --files --all Q` on the fixture: (paths, exit code).
    func files(_ q: String, _ extra: [String] = []) throws -> (paths: [String], code: Int32) {
        let r = try Fixture.shared().run(["query", "--files", "--all"] + extra + [q])
        #expect(!r.signaled)
        return (r.lines, r.code)
    }

    /// Every command's `--help` shows examples of that command, and `--version` answers.
    @Test func helpHasExamplesAndVersionAnswers() throws {
        let commands = ["index", "add", "rm", "query", "show", "analyze", "stats", "check", "merge", "serve"]
        for c in [nil] + commands.map(Optional.some) {
            let r = try Fixture.shared().run((c.map { [$0] } ?? []) + ["--help"])
            #expect(r.code == 0, "\(c ?? "ufsearch") --help")
            #expect(r.lines.contains("Examples:"), "\(c ?? "ufsearch") --help has examples")
            #expect(r.lines.contains { $0.hasPrefix("  ufsearch \(c ?? "")") }, "\(c ?? "ufsearch") --help shows the command")
        }
        let v = try Fixture.shared().run(["--version"])
        #expect(v.code == 0)
        #expect(v.lines.count == 1 && v.lines[0].hasPrefix("ufsearch ") && v.lines[0].contains("ICU "), "\(v.lines)")
    }

    @Test func latinWordsMatchWholeTokensCaseInsensitively() throws {
        #expect(try files("debian").paths == [Doc.debian])
        #expect(try files("DEBIAN").paths == [Doc.debian])
        #expect(try files("Debian").paths == [Doc.debian])
        #expect(try files("debianutils").paths == [Doc.tools])
        #expect(try files("debia").code == 1, "a prefix of a Latin word is not a match")
        #expect(Set(try files("linux").paths) == [Doc.debian, Doc.tools])
    }

    @Test func phraseMixingLatinAndChinese() throws {
        #expect(try files("\"Linux 内核\"").paths == [Doc.debian])
        #expect(Set(try files("Linux 内核").paths) == [Doc.debian, Doc.tools])
    }

    @Test func unquotedExclusionArgumentExcludes() throws {
        let all = try files("宗教中国化").paths
        let r = try Fixture.shared().run(["query", "--files", "--all", "宗教中国化", "-宗教团体"])
        #expect(r.code == 0)
        #expect(Set(r.lines) == Set(all).subtracting([Doc.traditional]))
        #expect(try Fixture.shared().run(["query", "--files", "--all", "--", "宗教中国化", "-宗教团体"]).lines == r.lines)
    }

    @Test func traditionalAndSimplifiedMatchEachOther() throws {
        let t = try files("宗教中國化")
        #expect(t.code == 0)
        #expect(t.paths.contains(Doc.simplified), "the Traditional query finds the Simplified document")
        #expect(t.paths.contains(Doc.traditional))
        #expect(Set(t.paths) == Set(try files("宗教中国化").paths), "Traditional and Simplified queries agree")
        #expect(try files("宗教团体").paths == [Doc.traditional], "the Simplified query finds the Traditional document")
    }

    @Test func lineBreakBetweenHanCharactersIsIgnored() throws {
        #expect(try files("团结进步").paths == [Doc.united])
        #expect(try files("民族团结进步").paths == [Doc.united])
        #expect(try files("\"民族团结进步\"").paths == [Doc.united])
    }

    @Test func punctuationSeparatesTerms() throws {
        #expect(!(try files("宗教中国").paths.contains(Doc.united)), "宗教，中国 must not match 宗教中国")
        let r = try Fixture.shared().run(["query", "数据跨境"])
        #expect(r.code == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.errLines.count == 1)
        #expect(try files("数据跨境", ["--loose"]).paths == [Doc.united], "--loose finds the words apart")
    }

    @Test func fullWidthFormsAreFolded() throws {
        for q in ["app", "APP", "ＡＰＰ", "qq", "12345", "１２３４５"] {
            #expect(try files(q).paths == [Doc.fullwidth], "query \(q)")
        }
    }

    @Test func gb18030DocumentIsDecoded() throws {
        #expect(try files("网络数据安全").paths == [Doc.gb18030])
        let r = try Fixture.shared().run(["show", Doc.gb18030])
        #expect(r.code == 0)
        #expect(r.out.hasPrefix("网络数据安全管理条例\n第一条　为了规范网络数据处理活动"), "show prints the decoded text as UTF-8")
    }

    @Test func showPrintsStoredUTF8DocumentsByteForByte() throws {
        let f = try Fixture.shared()
        for p in [Doc.simplified, Doc.traditional, Doc.united, Doc.empty] {
            let r = try f.run(["show", p])
            #expect(r.code == 0, "show \(p): \(r)")
            let original = try Data(contentsOf: f.dir.appendingPathComponent(p))
            #expect(r.stdout == [UInt8](original), "show \(p) differs from the file")
        }
    }

    @Test func binaryFileIsSkippedWithOneWarningAndEmptyFileIsIndexed() throws {
        let f = try Fixture.shared()
        #expect(f.indexRun.errLines.count == 1 && f.indexRun.err.hasPrefix("ufsearch: \(Doc.binary): skipped"),
                "one warning naming the binary file: \(f.indexRun.err)")
        #expect(f.indexRun.out.hasPrefix("added 8, replaced 0, removed 0, unchanged 0, skipped 1;"))
        let stats = try f.run(["stats"])
        #expect(stats.lines.contains("documents: 8"))
        let show = try f.run(["show", Doc.binary])
        #expect(show.code == 2)
        #expect(show.errLines.count == 1)
        let empty = try f.run(["show", Doc.empty])
        #expect(empty.code == 0 && empty.stdout.isEmpty)
    }

    @Test func exitCodes() throws {
        let f = try Fixture.shared()
        #expect(try f.run(["query", "宗教"]).code == 0)
        #expect(try f.run(["query", "不存在的词语"]).code == 1)
        for args in [["query", "\"宗教"], ["query", "OR OR"], ["query", ""], ["query", "宗教 -"],
                     ["query", "--index", "no-such-index", "宗教"], ["show", "docs/none.txt"], ["stats", "--index", "nowhere"],
                     ["check", "--index", "nowhere"], ["query", "-n", "-1", "宗教"], ["nosuchcommand"]] {
            let r = try f.run(args)
            #expect(r.code == 2, "\(args): \(r)")
            #expect(r.stdout.isEmpty, "\(args): nothing on stdout")
            #expect(r.errLines.count == 1 && r.err.hasPrefix("ufsearch: "), "\(args): one line on stderr: \(r.err)")
        }
        #expect(try f.run(["check"]).code == 0)
        #expect(try f.run(["stats"]).code == 0)
    }

    @Test func countFilesAndJSONAgree() throws {
        let f = try Fixture.shared()
        for q in ["宗教", "个人信息 OR 网络数据", "linux", "中国", "条例 OR 规定 OR 说明"] {
            let count = try f.run(["query", "--count", q])
            let all = try f.run(["query", "--files", "--all", q])
            let json = try f.run(["query", "--json", "--all", q])
            #expect(count.lines == [String(all.lines.count)], "query \(q)")
            #expect(Set(all.lines).count == all.lines.count, "no path twice for \(q)")
            var paths = [String]()
            var lastScore = Double.infinity
            for (i, line) in json.lines.enumerated() {
                let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "JSON line: \(line)")
                #expect(obj["rank"] as? Int == i + 1)
                let score = try #require(obj["score"] as? Double)
                #expect(score <= lastScore, "scores descend")
                lastScore = score
                paths.append(try #require(obj["path"] as? String))
            }
            #expect(paths == all.lines, "--json and --files list the same documents in the same order for \(q)")
        }
    }

    @Test func jsonMatchOffsetsPointAtTheOriginalBytes() throws {
        let f = try Fixture.shared()
        let r = try f.run(["query", "--json", "--all", "宗教中国化"])
        #expect(r.code == 0)
        var checked = 0
        for line in r.lines {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let path = try #require(obj["path"] as? String)
            let bytes = [UInt8](try Data(contentsOf: f.dir.appendingPathComponent(path)))
            let matches = try #require(obj["matches"] as? [[Int]])
            #expect(!matches.isEmpty)
            for m in matches {
                try #require(m.count == 2 && 0 <= m[0] && m[0] < m[1] && m[1] <= bytes.count, "range \(m) in \(path)")
                let text = String(decoding: bytes[m[0]..<m[1]], as: UTF8.self)
                #expect(["宗教中国化", "宗教中國化"].contains(text), "\(path) \(m) is \(text)")
                checked += 1
            }
        }
        #expect(checked >= 2)
    }

    @Test func limitAndOffsetPage() throws {
        let f = try Fixture.shared()
        let all = try f.run(["query", "--files", "--all", "中国 OR 宗教 OR 数据"]).lines
        #expect(all.count >= 3)
        var paged = [String]()
        for off in 0..<all.count {
            paged += try f.run(["query", "--files", "-n", "1", "--offset", String(off), "中国 OR 宗教 OR 数据"]).lines
        }
        #expect(paged == all)
    }

    @Test func stdinQueriesMatchSingleQueries() throws {
        let f = try Fixture.shared()
        let queries = ["宗教", "debian", "团结进步", "不存在的词语", "个人信息 OR 网络数据"]
        let r = try f.run(["query", "--files", "-"], stdin: Array((queries.joined(separator: "\n") + "\n").utf8))
        #expect(r.code == 0)
        var byQuery = [String: [String]]()
        for line in r.lines {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let q = try #require(obj["query"] as? String)
            if let p = obj["path"] as? String { byQuery[q, default: []].append(p) } else { byQuery[q, default: []] += [] }
        }
        for q in queries {
            #expect(byQuery[q] != nil, "stdin output has query \(q)")
            #expect((byQuery[q] ?? []) == (try f.run(["query", "--files", q]).lines), "query \(q)")
        }
    }

    /// Queries read from stdin may end in CRLF (files from Windows): each line is one query.
    /// Fails today: `query -` splits the input on the Character "\n", and in Swift "\r\n" is a
    /// single Character, so CRLF lines are never split (QueryCommand.runStdin).
    @Test func stdinQueriesWithCRLFLineEnds() throws {
        let f = try Fixture.shared()
        let r = try f.run(["query", "--count", "-"], stdin: Array("宗教\r\n数据跨境\r\ndebian\r\n".utf8))
        #expect(r.lines == [#"{"query":"宗教","total":3}"#, #"{"query":"数据跨境","total":0}"#, #"{"query":"debian","total":1}"#],
                "\(r)")
        #expect(r.code == 0)
    }

    /// `analyze` prints a table, one token per line; a token whose original text spans a line
    /// break (民族团⏎结进步 gives the word 团结) must not break the table. Fails today: the
    /// `original` column is printed raw (AnalyzeCommand.run).
    @Test func analyzeTablePrintsOneLinePerToken() throws {
        let f = try Fixture.shared()
        let r = try f.run(["analyze", "-"], stdin: Array("民族团\n结进步".utf8))
        #expect(r.code == 0)
        let json = try f.run(["analyze", "--json", "-"], stdin: Array("民族团\n结进步".utf8))
        #expect(r.lines.count == 1 + json.lines.count, "a header line plus one line per token: \(r.out)")
    }

    @Test func indexOptionBeatsEnvironment() throws {
        let f = try Fixture.shared()
        let r = try f.run(["query", "--count", "--index", "idx", "宗教"], env: ["UFSEARCH_INDEX": "nowhere"])
        #expect(r.code == 0 && r.lines == ["3"])
        let e = try f.run(["query", "--count", "宗教"], env: ["UFSEARCH_INDEX": "nowhere"])
        #expect(e.code == 2 && e.err.contains("nowhere"))
        // Without either, index/ in the working directory (there is none in the fixture directory).
        let d = try CLI.run(["query", "宗教"], cwd: f.dir)
        #expect(d.code == 2 && d.err.contains("index/"))
    }

    @Test func neverCrashesOnOddInput() throws {
        let f = try Fixture.shared()
        let odd = ["\"", "\"\"", "(", ")", "((((((((((宗教))))))))))", "OR", "-", "- -", "title:", "path:", "year:",
                   "year:3000..1000", "year:99999999999999999999", "\u{0}", "\u{FEFF}", "🙂", "\u{300}", "宗教\u{0}中国",
                   String(repeating: "(", count: 2000), String(repeating: "a OR ", count: 800) + "b",
                   String(repeating: "\"宗教\" ", count: 500)]
        for q in odd {
            let r = try f.run(["query", q])
            #expect(!r.signaled && [0, 1, 2].contains(r.code), "query \(q.prefix(40)): \(r)")
            #expect(!r.err.contains("Fatal error"), "query \(q.prefix(40))")
            if r.code == 2 { #expect(r.errLines.count == 1, "query \(q.prefix(40)): \(r.err)") }
        }
    }
}

/// Commands that write, each in its own workspace.
@Suite("CLI writes")
struct WriteTests {
    func write(_ dir: URL, _ rel: String, _ text: String) throws {
        let url = dir.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func run(_ dir: URL, _ args: [String]) throws -> CLI.Result {
        try CLI.run(args, cwd: dir, env: ["UFSEARCH_INDEX": "idx"])
    }

    @Test func syncAddsReplacesAndRemoves() throws {
        let dir = try CLI.makeWorkspace("sync")
        defer { CLI.removeTemp(dir) }
        #expect(try run(dir, CLI.indexArgs).code == 0)
        try write(dir, "docs/new/2025-新文件.txt", "新增文件\n推进乡村振兴战略实施。\n")
        try write(dir, Doc.debian, "Debian 发行版说明（修订）\n本版本改用 Hurd 内核。\n")
        try FileManager.default.removeItem(at: dir.appendingPathComponent(Doc.tools))
        let r = try run(dir, ["index", "docs"])
        #expect(r.code == 0)
        #expect(r.out.hasPrefix("added 1, replaced 1, removed 1, unchanged 6, skipped 1;"), "\(r)")
        #expect(try run(dir, ["query", "--files", "乡村振兴"]).lines == ["docs/new/2025-新文件.txt"])
        #expect(try run(dir, ["query", "--files", "hurd"]).lines == [Doc.debian])
        #expect(try run(dir, ["query", "--files", "\"Linux 内核\""]).code == 1, "the old version is gone")
        #expect(try run(dir, ["query", "--files", "debianutils"]).code == 1, "the removed file is gone")
        #expect(try run(dir, ["check"]).code == 0)
        let again = try run(dir, ["index", "docs"])
        #expect(again.out.hasPrefix("added 0, replaced 0, removed 0, unchanged 8, skipped 1;"), "\(again)")
        #expect(again.out.contains("nothing to commit"))
    }

    @Test func addRemoveAndMerge() throws {
        let dir = try CLI.makeWorkspace("addrm")
        defer { CLI.removeTemp(dir) }
        #expect(try run(dir, CLI.indexArgs).code == 0)
        let before = try run(dir, ["query", "--json", "--all", "宗教 OR 数据 OR 中国"]).lines

        try write(dir, "extra/a.txt", "补充材料\n加强宗教事务管理。\n")
        let add = try run(dir, ["add", "extra/a.txt"])
        #expect(add.code == 0 && add.out.hasPrefix("added 1, replaced 0"), "\(add)")
        let addAgain = try run(dir, ["add", "extra/a.txt"])
        #expect(addAgain.out.hasPrefix("added 0, replaced 0, removed 0, unchanged 1"), "\(addAgain)")
        #expect(try run(dir, ["query", "--files", "宗教事务管理"]).lines == ["extra/a.txt"])

        let rm = try run(dir, ["rm", "extra"])
        #expect(rm.code == 0 && rm.out.contains("removed 1"), "\(rm)")
        let rmNone = try run(dir, ["rm", "extra"])
        #expect(rmNone.code == 1 && rmNone.errLines.count == 1, "\(rmNone)")
        #expect(try run(dir, ["query", "宗教事务管理"]).code == 1)

        let merge = try run(dir, ["merge"])
        #expect(merge.code == 0, "\(merge)")
        let stats = try run(dir, ["stats"]).lines
        #expect(stats.contains("segments: 1") && stats.contains("deleted: 0") && stats.contains("documents: 8"), "\(stats)")
        #expect(try run(dir, ["check"]).code == 0)
        let after = try run(dir, ["query", "--json", "--all", "宗教 OR 数据 OR 中国"]).lines
        #expect(after == before, "the same hits, ids and scores after add, rm and merge")
    }

    /// One document per path: a path named twice in one command (or reached twice, as a folder
    /// and as a file in it) is indexed once, so `rm` of that path removes it.
    @Test func samePathTwiceInOneCommandGivesOneDocument() throws {
        let dir = try CLI.makeWorkspace("dup")
        defer { CLI.removeTemp(dir) }
        let add = try run(dir, ["add", Doc.simplified, Doc.simplified])
        #expect(add.code == 0)
        #expect(add.out.hasPrefix("added 1,"), "\(add)")
        #expect(try run(dir, ["query", "--files", "宗教中国化"]).lines == [Doc.simplified])

        let index = try run(dir, ["index", "docs", Doc.traditional])
        #expect(index.code == 0)
        #expect(try run(dir, ["query", "--files", "宗教团体"]).lines == [Doc.traditional])
        #expect(try run(dir, ["stats"]).lines.contains("documents: 8"))

        let rm = try run(dir, ["rm", Doc.simplified, Doc.traditional])
        #expect(rm.code == 0)
        #expect(try run(dir, ["query", "--files", "宗教中国化"]).code == 1, "rm leaves no copy behind")
    }

    /// `index` keeps the index in line with the files: a file that is no longer text (now
    /// skipped as binary) must not stay searchable with its old contents. Fails today: sync
    /// counts it as skipped and leaves the old document in place (IndexWriter.sync/indexOne).
    @Test func fileTurnedBinaryLeavesTheIndex() throws {
        let dir = try CLI.makeWorkspace("tobinary")
        defer { CLI.removeTemp(dir) }
        #expect(try run(dir, CLI.indexArgs).code == 0)
        try Data([0x00, 0x01, 0x02] + Array("宗教中国化".utf8) + [0x00]).write(to: dir.appendingPathComponent(Doc.simplified))
        let r = try run(dir, ["index", "docs"])
        #expect(r.code == 0)
        #expect(r.err.contains(Doc.simplified), "a warning names the skipped file: \(r.err)")
        #expect(try run(dir, ["query", "--files", "宗教中国化"]).lines == [Doc.traditional],
                "the old text of a file that is now binary is not found any more")
    }

    @Test func secondWriterFailsWhileLocked() throws {
        let dir = try CLI.makeWorkspace("lock")
        defer { CLI.removeTemp(dir) }
        #expect(try run(dir, CLI.indexArgs).code == 0)
        // This process holds the writer lock (an exclusive flock on idx/LOCK) while the binary runs.
        let fd = open(dir.appendingPathComponent("idx/LOCK").path, O_RDWR)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let r = try run(dir, ["add", Doc.empty])
        #expect(r.code == 2 && r.errLines.count == 1 && r.err.contains("LOCK"), "\(r)")
        #expect(try run(dir, ["query", "--count", "宗教"]).code == 0, "readers never take the lock")
        #expect(try run(dir, ["check"]).code == 0)
        flock(fd, LOCK_UN)
        #expect(try run(dir, ["add", Doc.empty]).code == 0, "the lock is free again")
    }
}
