import Foundation
import Synchronization
import Testing
import UFAnalysis
import UFIndex
@testable import UFSearch
import UFTestSupport

/// An index built from in-memory documents in a temporary directory.
final class TestIndex {
    let dir: String
    let searcher: Searcher

    init(_ docs: [(String, String)], segmentsOfOne: Bool = false) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ufsearch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/docs", withIntermediateDirectories: true)
        for (name, text) in docs {
            let p = dir + "/docs/" + name
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        }
        let w = try IndexWriter(path: dir + "/idx")
        if segmentsOfOne {
            for (name, _) in docs { _ = try w.add(paths: [dir + "/docs/" + name]) }
        } else {
            _ = try w.sync(roots: [dir + "/docs"])
        }
        w.close()
        searcher = try Searcher(snapshot: try IndexSnapshot.open(dir + "/idx"))
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// Adds `batches` of (name, text) documents, one `add` each (with no merges: how many
    /// segments an add makes depends on how its workers split the files, and eight would merge
    /// into one), then removes the documents `removing` names, and returns a searcher over the
    /// result.
    func grow(_ batches: [[(String, String)]], removing: [String]) throws -> Searcher {
        var options = IndexOptions()
        options.mergePolicy.segmentsPerTier = Int.max
        let w = try IndexWriter(path: dir + "/idx", options: options)
        for batch in batches {
            for (name, text) in batch { _ = FileManager.default.createFile(atPath: dir + "/docs/" + name, contents: Data(text.utf8)) }
            _ = try w.add(paths: batch.map { dir + "/docs/" + $0.0 })
        }
        _ = try w.remove(paths: removing.map { dir + "/docs/" + $0 })
        w.close()
        return try Searcher(snapshot: try IndexSnapshot.open(dir + "/idx"))
    }

    /// One hit line's case: the query's plan, the hit, where it is (segment, local id), the
    /// number of snippets, and the whole text's detail.
    struct HitLineCase {
        let query: String, plan: QueryPlan, hit: SearchHit, segment: Int, local: Int, count: Int, whole: HitDetail
        var path: String { hit.info.path }
        /// The region-reading paths' input: the hit's original bytes.
        func withOriginal<T>(_ ix: TestIndex, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
            try ix.searcher.snapshot.segments[segment].withOriginal(local) { bytes, _ in try body(bytes) }
        }
    }

    /// For every hit of each of `queries` (all of them) and for one and two snippets: expects
    /// the hit line (``Searcher/detail(id:plan:snippets:width:allMatches:occurrences:)`` without
    /// every match) to show the whole text's snippets, then calls `body` with the case and the
    /// hit line. The same hits from a ranked page, which counts each one's occurrences, must show
    /// them too when the hit line is given that count, and, with every match asked for, the whole
    /// text's matches as well.
    func forEachHitLine(_ queries: [String], _ body: (HitLineCase, HitDetail) throws -> Void) throws {
        for q in queries {
            var o = SearchOptions()
            o.all = true
            let r = try searcher.search(q, options: o)
            var ranked = SearchOptions()
            ranked.exactTotal = false
            ranked.limit = r.hits.count
            var counted = [Int: Int]()  // id → occurrences, from the ranked page
            for h in try searcher.search(q, options: ranked).hits { counted[h.id] = h.occurrences }
            for h in r.hits {
                let (s, l) = try #require(searcher.snapshot.locate(h.id))
                for count in [1, 2] {
                    let whole = try searcher.detail(id: h.id, plan: r.plan, snippets: count, allMatches: true)
                    let part = try searcher.detail(id: h.id, plan: r.plan, snippets: count, allMatches: false)
                    expectSameSnippets(part.snippets, whole.snippets, "\(q) \(h.info.path)")
                    try body(HitLineCase(query: q, plan: r.plan, hit: h, segment: s, local: l, count: count, whole: whole), part)
                    guard let n = counted[h.id] else { continue }
                    let known = try searcher.detail(id: h.id, plan: r.plan, snippets: count, allMatches: false, occurrences: n)
                    expectSameSnippets(known.snippets, whole.snippets, "\(q) \(h.info.path), \(n) occurrences")
                    // Each merged match of the whole text holds at least one occurrence.
                    #expect(whole.matches.count <= n, "\(q) \(h.info.path)")
                    let every = try searcher.detail(id: h.id, plan: r.plan, snippets: count, allMatches: true, occurrences: n)
                    expectSameSnippets(every.snippets, whole.snippets, "\(q) \(h.info.path), \(n) occurrences, every match")
                    #expect(every.matches == whole.matches, "\(q) \(h.info.path), \(n) occurrences")
                }
            }
        }
    }

    /// Names (relative to docs/) of the documents matching `q`, sorted.
    func names(_ q: String, loose: Bool = false) throws -> [String] {
        var o = SearchOptions()
        o.all = true
        o.loose = loose
        return Self.names(of: try searcher.search(q, options: o).hits)
    }

    /// Names (relative to docs/) of `hits`, sorted.
    static func names(of hits: [SearchHit]) -> [String] {
        hits.map { String($0.info.path.dropFirst("docs/".count)) }.sorted()
    }
}

/// Expects snippets `a` to be `b`: the same pieces of text, flagged as matches alike.
func expectSameSnippets(_ a: [Highlighter.Snippet], _ b: [Highlighter.Snippet], _ comment: Comment,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.map { $0.map(\.text) } == b.map { $0.map(\.text) }, comment, sourceLocation: sourceLocation)
    #expect(a.map { $0.map(\.isMatch) } == b.map { $0.map(\.isMatch) }, comment, sourceLocation: sourceLocation)
}

struct MatchingSemantics {
    static let docs: [(String, String)] = [
        ("a.txt", "关于宗教中国化的实施意见\n坚持我国宗教中国化方向，统一战线。Debian 软件包"),
        ("b.txt", "宗教\n中國化工作要点（2021年）"),            // Traditional, and a line break between Han
        ("c.txt", "宗教，中国化不能跨越标点。debianutils 工具"),  // punctuation between 宗教 and 中国化
        ("d.txt", "Linux 内核 与 ＵＴＦ－８ 编码，民营经济"),
        ("2019/e.txt", "2019年 统战工作总结\n乡村振兴与统一战线"),
        ("f.txt", ""),
    ]

    @Test func grepParityAcrossSegmentationAndLineBreaks() throws {
        let ix = try TestIndex(Self.docs)
        #expect(try ix.names("宗教中国化") == ["a.txt", "b.txt"])
        #expect(try ix.names("宗教中國化") == ["a.txt", "b.txt"])
        #expect(try ix.names("教中") == ["a.txt", "b.txt"])
        #expect(try ix.names("国化") == ["a.txt", "b.txt", "c.txt"])
        #expect(try ix.names("化") == ["a.txt", "b.txt", "c.txt", "d.txt"].filter { $0 != "d.txt" })
        #expect(try ix.names("营经") == ["d.txt"])
        #expect(try ix.names("不存在的词").isEmpty)
    }

    @Test func latinWholeTokensAndMixedPhrases() throws {
        let ix = try TestIndex(Self.docs)
        #expect(try ix.names("debian") == ["a.txt"])
        #expect(try ix.names("DEBIAN") == ["a.txt"])
        #expect(try ix.names("\"Linux 内核\"") == ["d.txt"])
        #expect(try ix.names("Linux内核") == ["d.txt"])
        #expect(try ix.names("utf-8") == ["d.txt"])
        #expect(try ix.names("ＵＴＦ－８") == ["d.txt"])
        #expect(try ix.names("2021年") == ["b.txt"])
    }

    /// Matches are byte ranges of the original text (whole Latin tokens, across Traditional forms
    /// and whitespace between Han); without `allMatches`, a long document's start does for the
    /// snippet when it holds a match, and the whole text is read otherwise.
    @Test func detailFindsMatchesInOriginalBytes() throws {
        let filler = String(repeating: "无关的内容。", count: 9000)  // 162 KB: past the prefix, and read in part
        let ix = try TestIndex([
            ("a.txt", "Linux内核 linuxx 内核 LINUX 内核。统一 战线"),
            ("b.txt", filler + "统一战线"),
            ("c.txt", "統一戰線" + filler + "统一战线"),
        ])
        func detail(_ q: String, _ name: String, allMatches: Bool = true, snippets: Int = 2) throws -> HitDetail {
            var o = SearchOptions()
            o.all = true
            let r = try ix.searcher.search(q, options: o)
            let id = try #require(r.hits.first { $0.info.path.hasSuffix("/" + name) }?.id)
            return try ix.searcher.detail(id: id, plan: r.plan, snippets: snippets, allMatches: allMatches)
        }
        #expect(try detail("\"linux 内核\"", "a.txt").matches == [0..<11, 26..<38])
        #expect(try detail("统一战线", "a.txt").matches == [41..<54])
        let f = filler.utf8.count
        #expect(try detail("统一战线", "b.txt", allMatches: false).matches == [f..<f + 12])
        #expect(try detail("统一战线", "b.txt", allMatches: false, snippets: 1).plainSnippet == "…统一战线")
        #expect(try detail("统一战线", "c.txt").matches == [0..<12, f + 12..<f + 24])
        #expect(try detail("统一战线", "c.txt", allMatches: false, snippets: 1).matches == [0..<12])
        #expect(try detail("统一战线", "c.txt", allMatches: false, snippets: 1).plainSnippet
            == (try detail("统一战线", "c.txt", snippets: 1).plainSnippet))
    }

    /// Snippets settled by a short prefix of a document are those of the whole text: random
    /// documents of at most 16 KiB (read whole without `allMatches`) with matches near the
    /// prefixes' cuts, Latin runs, line breaks, spaces between Han and Traditional forms.
    @Test func prefixSnippetsAreTheWholeTextsSnippets() throws {
        let pieces = ["统一战线", "統一戰線", "统一 战线", "统一\n战线", "工作", "。", "，", "\n", " ", "Linux", "linux内核", "内核",
                      "UTF-8", "ＵＴＦ－８", "2021年", "宗教中国化", "方向", "；", "abc", "统一统一战线战线", "线统"]
        var rng = SplitMix64(seed: 12)
        let docs = (0..<40).map { i -> (String, String) in
            var text = ""
            let target = Int.random(in: 200...16_000, using: &rng)
            while text.utf8.count < target { text += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
            while text.utf8.count > 16_384 { text.removeLast() }
            return ("d\(i).txt", text)
        }
        let ix = try TestIndex(docs)
        var settledEarly = 0
        try ix.forEachHitLine(["统一战线", "linux 内核", "\"linux 内核\"", "utf-8", "工作 方向", "线统", "统一 战线", "abc", "中国化 OR 2021年"]) { c, part in
            if part.matches.count < c.whole.matches.count { settledEarly += 1 }
        }
        #expect(settledEarly > 50)  // the prefixes were used
    }

    /// Snippets of matches deep in long documents, read from the region between two anchors
    /// around the first matches, are the whole text's: rare matches (Simplified, Traditional,
    /// split by a space or a line break) at random places in texts of Han, Latin, numbers,
    /// full-width and NFKC-expanding characters, punctuation and line breaks. A region that
    /// stops before the last match (the snippets are settled before it) gives the whole text's
    /// first matches.
    @Test func anchoredSnippetsAreTheWholeTextsSnippets() throws {
        let filler = ["工作要点", "，", "。", "\n", " ", "Linux 内核", "UTF-8", "２０２１年", "abc123", "㈱", "e\u{301}", "“引号”",
                      "民营经济", "統計", "；", "数据处理活动"]
        let targets = ["统一战线", "統一戰線", "统一 战线", "统一\n战线", "战线统一", "统一战线统一战线"]
        let ix = try TestIndex(Self.randomTexts(count: 10, name: "long", sizes: 30_000...160_000, targets: targets, perText: 1...4,
                                                seed: 21) { _ in filler }
                               + Self.randomTexts(count: 6, name: "many", sizes: 30_000...160_000, targets: targets, perText: 5...40,
                                                  seed: 22) { _ in filler })
        var anchored = 0, cut = 0
        try ix.forEachHitLine(["统一战线", "战线统一", "統一", "战线 OR 統計", "统一战线 -民营经济", "线"]) { c, _ in
            guard let d = try ix.searcher.anchoredDetail(segment: ix.searcher.snapshot.segments[c.segment], doc: c.local, plan: c.plan,
                                                         snippets: c.count, width: 80) else { return }
            anchored += 1
            expectSameSnippets(d.snippets, c.whole.snippets, "\(c.query) \(c.path)")
            // Its matches are the whole text's first ones.
            #expect(!d.matches.isEmpty && c.whole.matches.starts(with: d.matches), "\(c.query) \(c.path)")
            if d.matches.count < c.whole.matches.count { cut += 1 }
        }
        #expect(anchored > 20)  // the anchored path was taken
        #expect(cut > 10)  // and its region stopped before the last match
    }

    /// For every region of a text that starts and ends at a Han character of the basic block
    /// (or at the text's ends) and holds every match, the snippets it settles are the whole
    /// text's: regions that start or end just beside a match must be refused.
    @Test func regionDetailAgreesWithTheWholeTextForEveryRegion() throws {
        let n = try Normalizer()
        let pieces = ["统一战线", "統一戰線", "统一 战线", "统一\n战线", "工作", "。", "，", "\n", " ", "Linux", "内核", "UTF-8", "；", "abc",
                      "数据处理"]
        var rng = SplitMix64(seed: 31)
        var settled = 0, refused = 0
        var units = [Highlighter.LightUnit]()
        for _ in 0..<12 {
            var text = ""
            let target = Int.random(in: 150...400, using: &rng)
            while text.utf8.count < target {
                let p = pieces[Int.random(in: 0..<pieces.count, using: &rng)]
                if p.hasPrefix("统") || p.hasPrefix("統") { if Int.random(in: 0..<4, using: &rng) > 0 { continue } }
                text += p
            }
            let bytes = Array(text.utf8)
            let whole = try bytes.withUnsafeBytes { try DecodedText.decode($0) }
            let patterns = [Highlighter.Pattern("统一战线", normalizer: n)]
            let all = n.withNormalized(whole) { Highlighter.matches(normalized: $0, patterns: patterns, units: &units).ranges }
            guard let firstMatch = all.first, let lastMatch = all.last else { continue }
            let expected = [1, 2].map { Highlighter.snippets(decoded: whole, matches: all, width: 20, count: $0) }
            // Places where a region may start or end: the ends, and every Han character of the basic block.
            let cuts = [0] + (1..<bytes.count).filter { i in
                let b = bytes[i]
                return (b >= 0xE5 && b <= 0xE9) || (b == 0xE4 && bytes[i + 1] >= 0xB8)
            } + [bytes.count]
            try bytes.withUnsafeBytes { raw in
                for from in cuts where from <= firstMatch.lowerBound {
                    for to in cuts where to >= lastMatch.upperBound {
                        let region = try DecodedText.decode(UnsafeRawBufferPointer(rebasing: raw[from..<to]))
                        let found = n.withNormalized(region) { Highlighter.matches(normalized: $0, patterns: patterns, units: &units).ranges }
                        #expect(found.map { $0.lowerBound + from ..< $0.upperBound + from } == all, "region \(from)..<\(to) of \(text)")
                        for (k, count) in [1, 2].enumerated() {
                            guard let d = Highlighter.regionDetail(decoded: region, matches: found, width: 20, count: count,
                                                                   atTextStart: from == 0, atTextEnd: to == bytes.count)
                            else { refused += 1; continue }
                            settled += 1
                            expectSameSnippets(d.snippets, expected[k], "region \(from)..<\(to) of \(text)")
                        }
                    }
                }
            }
        }
        #expect(settled > 500 && refused > 500)
    }

    /// At every place a prefix may be cut, snippets it settles are the whole text's, and the
    /// matches it returns start the whole text's: matches across the cut, just before it, merged
    /// with one across it, windows reaching it.
    @Test func prefixDetailAgreesWithTheWholeTextAtEveryCut() throws {
        let n = try Normalizer()
        let pieces = ["统一战线", "統一戰線", "统一 战线", "统一\n战线", "战线统一", "工作", "。", "，", "\n", " ", "Linux", "linux内核",
                      "内核", "UTF-8", "ＵＴＦ－８", "线统", "统一统一战线战线", "abc", "；"]
        let queries = [["统一战线"], ["linux", "内核"], ["linux 内核"], ["utf-8"], ["统一战线", "战线统一"], ["线统"], ["统一战线统一"]]
        var rng = SplitMix64(seed: 13)
        var settled = 0
        var units = [Highlighter.LightUnit]()
        for _ in 0..<25 {
            var text = ""
            let target = Int.random(in: 300...700, using: &rng)
            while text.utf8.count < target { text += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
            let bytes = Array(text.utf8)
            let whole = try bytes.withUnsafeBytes { try DecodedText.decode($0) }
            for q in queries {
                let patterns = q.map { Highlighter.Pattern($0, normalizer: n) }
                let all = n.withNormalized(whole) { Highlighter.matches(normalized: $0, patterns: patterns, units: &units).ranges }
                let expected = [1, 2].map { Highlighter.snippets(decoded: whole, matches: all, width: 40, count: $0) }
                try bytes.withUnsafeBytes { raw in
                    for cut in 2..<bytes.count - 1 where Highlighter.prefixCut(raw, near: cut) == cut {
                        let prefix = try DecodedText.decode(UnsafeRawBufferPointer(rebasing: raw[0..<cut]))
                        let found = n.withNormalized(prefix) { norm in
                            let (m, c) = Highlighter.matches(normalized: norm, patterns: patterns, units: &units)
                            return [1, 2].map {
                                Highlighter.prefixDetail(decoded: prefix, normalized: norm, units: units, unitCount: c,
                                                         patterns: patterns, matches: m, width: 40, count: $0)
                            }
                        }
                        for (k, d) in found.enumerated() {
                            guard let d else { continue }
                            settled += 1
                            expectSameSnippets(d.snippets, expected[k], "\(q) cut \(cut) in \(text)")
                            #expect(Array(all.prefix(d.matches.count)) == d.matches, "\(q) cut \(cut)")
                        }
                    }
                }
            }
        }
        #expect(settled > 1000)
    }

    @Test func booleanOperatorsAndFilters() throws {
        let ix = try TestIndex(Self.docs)
        #expect(try ix.names("宗教 统一战线") == ["a.txt"])
        #expect(try ix.names("乡村振兴 OR 民营经济") == ["2019/e.txt", "d.txt"])
        #expect(try ix.names("宗教 -统一战线") == ["b.txt", "c.txt"])
        #expect(try ix.names("(乡村振兴 OR 中国化) -标点") == ["2019/e.txt", "a.txt", "b.txt"])
        #expect(try ix.names("title:统战") == ["2019/e.txt"])
        #expect(try ix.names("path:2019/") == ["2019/e.txt"])
        #expect(try ix.names("year:2019..2020") == ["2019/e.txt"])
        #expect(try ix.names("year:2021") == ["b.txt"])
        #expect(try ix.names("统一战线 year:..2019") == ["2019/e.txt"])
        #expect(try ix.names("path:f.txt") == ["f.txt"])  // empty files are indexed and found by path
    }

    /// Filters read titles normalised (Traditional, full-width and upper case match) and paths
    /// as bytes, and combine with text and each other.
    @Test func filtersOnTitlesAndPaths() throws {
        let ix = try TestIndex([
            ("报告/2020/a.txt", "\n  關於統戰工作的ＵＴＦ－８報告  \n正文：统一战线"),
            ("报告/2021/b.txt", "统战 工作\n正文"),
            ("notes/2020-c.txt", "Linux內核说明\n统一战线 统战"),
            ("notes/d.txt", "第一行没有关键词\n统战工作在第二行"),
        ])
        #expect(try ix.names("title:统战") == ["报告/2020/a.txt", "报告/2021/b.txt"])
        #expect(try ix.names("title:統戰工作") == ["报告/2020/a.txt", "报告/2021/b.txt"])  // a space between Han is no break
        #expect(try ix.names("title:utf-8") == ["报告/2020/a.txt"])
        #expect(try ix.names("title:linux内核") == ["notes/2020-c.txt"])
        #expect(try ix.names("title:第二行") == [])
        #expect(try ix.names("path:报告/") == ["报告/2020/a.txt", "报告/2021/b.txt"])
        #expect(try ix.names("path:2020") == ["notes/2020-c.txt", "报告/2020/a.txt"])
        #expect(try ix.names("path:报告/2020/a.txt") == ["报告/2020/a.txt"])
        #expect(try ix.names("path:Notes") == [])
        #expect(try ix.names("统一战线 path:notes") == ["notes/2020-c.txt"])
        #expect(try ix.names("统战 -title:统战") == ["notes/2020-c.txt", "notes/d.txt"])
        #expect(try ix.names("title:统战 OR path:notes/d") == ["notes/d.txt", "报告/2020/a.txt", "报告/2021/b.txt"])
    }

    @Test func looseModeMatchesWordsApart() throws {
        let ix = try TestIndex(Self.docs)
        #expect(try ix.names("宗教化工").isEmpty)
        #expect(try ix.names("宗教化工", loose: true).contains("b.txt"))
    }

    @Test func parseErrorsAreQueryErrors() throws {
        let ix = try TestIndex(Self.docs)
        #expect(throws: QueryError.self) { try ix.names("\"unbalanced") }
        #expect(throws: QueryError.self) { try ix.names("OR OR") }
    }
}

struct RankingTests {
    @Test func bm25OrdersByFrequencyAndTiesByID() throws {
        let ix = try TestIndex([
            ("1.txt", "统一战线。其他内容。"),
            ("2.txt", "统一战线。统一战线。统一战线。"),
            ("3.txt", "统一战线。其他内容。"),
        ])
        var o = SearchOptions()
        o.explain = true
        let r = try ix.searcher.search("统一战线", options: o)
        #expect(r.total == 3)
        #expect(r.hits[0].info.path.hasSuffix("2.txt"))
        #expect(r.hits[1].score == r.hits[2].score)
        #expect(r.hits[1].id < r.hits[2].id)
        let e = try #require(r.hits[0].explanation)
        #expect(e.terms.contains { $0.kind == "word" && $0.tf == 3 })
        #expect(r.hits.map(\.rank) == [1, 2, 3])
    }

    @Test func scoresDoNotDependOnSegmentLayout() throws {
        let docs = (0..<12).map { ("d\($0).txt", String(repeating: "宗教中国化方向。", count: $0 % 4 + 1) + String(repeating: "其他文字", count: $0)) }
        let one = try TestIndex(docs)
        let many = try TestIndex(docs, segmentsOfOne: true)
        #expect(many.searcher.snapshot.segments.count > 1)
        var o = SearchOptions()
        o.all = true
        func scores(_ ix: TestIndex) throws -> [String: Double] {
            Dictionary(uniqueKeysWithValues: try ix.searcher.search("宗教中国化 方向", options: o).hits.map {
                (String($0.info.path.split(separator: "/").last!), $0.score)
            })
        }
        let a = try scores(one), b = try scores(many)
        #expect(a.count == 12)
        for (k, v) in a { #expect(abs(v - b[k]!) < 1e-9, "\(k)") }
    }
}

struct ParityProperty {
    /// Random documents over a small alphabet (Han, Traditional forms, punctuation, line breaks,
    /// spaces); random 1–5 character queries; the engine must agree with a substring scan of the
    /// normalised text.
    @Test func randomCorpusAgreesWithSubstringScan() throws {
        let alphabet = Array("宗教中国化國統战戰线一方向，。\n 　")
        var rng = SplitMix64(seed: 7)
        var docs = [(String, String)]()
        for i in 0..<60 {
            let n = Int(rng.next() % 120)
            docs.append(("r\(i).txt", String((0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })))
        }
        let ix = try TestIndex(docs, segmentsOfOne: false)
        let norm = try Normalizer()
        let normalized = docs.map { norm.normalize($0.1).string }
        let han = Array("宗教中国化國統战戰线一方向")
        for _ in 0..<300 {
            let len = Int(rng.next() % 5) + 1
            let q = String((0..<len).map { _ in han[Int(rng.next() % UInt64(han.count))] })
            let nq = norm.normalize(q).string
            let truth = docs.indices.filter { normalized[$0].contains(nq) }.map { docs[$0].0 }.sorted()
            #expect(try ix.names(q) == truth, "query \(q)")
        }
    }
}

struct TopKPruning {
    /// Block-max pruning must return exactly the first k of the full ranking, and must
    /// actually skip scoring when many documents match.
    @Test func topKEqualsFullRankingPrefix() throws {
        var rng = SplitMix64(seed: 11)
        let words = ["宗教", "中国化", "统一战线", "民族", "团结", "工作", "方向", "坚持"]
        var docs = [(String, String)]()
        for i in 0..<600 {
            let n = Int(rng.next() % 40) + 3
            let text = (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: rng.next() % 3 == 0 ? "，" : "")
            docs.append(("d\(i).txt", text))
        }
        let ix = try TestIndex(docs)
        for q in ["宗教", "宗教中国化", "统一战线 团结", "工作 OR 方向", "民族团结 -宗教"] {
            var all = SearchOptions()
            all.all = true
            let full = try ix.searcher.search(q, options: all)
            for (limit, offset) in [(10, 0), (5, 3), (1, 0)] {
                var o = SearchOptions()
                o.limit = limit
                o.offset = offset
                let top = try ix.searcher.search(q, options: o)
                #expect(top.total == full.total)
                let expected = Array(full.hits.dropFirst(offset).prefix(limit))
                #expect(top.hits.map(\.id) == expected.map(\.id), "\(q) limit \(limit) offset \(offset)")
                #expect(top.hits.map(\.rank) == expected.map(\.rank))
            }
        }
    }

    /// With an inexact total, matches past the count limit that cannot rank are skipped
    /// unverified: the hits (ids, ranks, scores) must still equal the full ranking's, and the
    /// total must be a lower bound that is exact while below the limit. Runs with `path:` and
    /// `year:` filters take the same path; with threads, the segment is split into parts.
    @Test(arguments: [(0, 1), (3, 1), (40, 1), (40, 3), (100_000, 1), (100_000, 3)])
    func prunedTopKEqualsFullRanking(limit countLimit: Int, threads: Int) throws {
        var rng = SplitMix64(seed: 23)
        let words = ["宗教", "中国化", "统一战线", "民族", "团结", "工作", "方向", "坚持", "宗教工作"]
        var docs = [(String, String)]()
        for i in 0..<700 {
            let n = Int(rng.next() % 50) + 2
            let text = (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: rng.next() % 3 == 0 ? "，" : "")
            // Years from the folder, except in "misc" (no year).
            docs.append(("\(i % 7 == 0 ? "misc" : String(2010 + i % 12))/d\(i).txt", text))
        }
        let ix = try TestIndex(docs)
        var pruned = 0
        for q in ["宗教", "宗教中国化", "统一战线 团结", "教工", "民族团结 宗教工作", "方向坚持", "中国化方向坚持",
                  "宗教 year:2015..2018", "宗教中国化 path:201", "统一战线 团结 year:..2012", "教工 path:misc/", "工作 year:2030",
                  "方向坚持 year:2011 path:/d1", "宗教中国化 title:团结", "宗教 title:统一战线 year:2012..2020"] {
            #expect(ix.searcher.conjunction(try ix.searcher.compile(q)) != nil, "\(q) takes the pruned path")
            var all = SearchOptions()
            all.all = true
            let full = try ix.searcher.search(q, options: all)
            for (limit, offset) in [(10, 0), (5, 3), (1, 0), (30, 10)] {
                var o = SearchOptions()
                o.limit = limit
                o.offset = offset
                o.exactTotal = false
                o.exactCountLimit = countLimit
                o.threads = threads
                o.splitSegmentsFrom = 64
                let top = try ix.searcher.search(q, options: o)
                let expected = Array(full.hits.dropFirst(offset).prefix(limit))
                #expect(top.hits.map(\.id) == expected.map(\.id), "\(q) limit \(limit) offset \(offset) count limit \(countLimit)")
                #expect(top.hits.map(\.rank) == expected.map(\.rank))
                #expect(zip(top.hits, expected).allSatisfy { abs($0.score - $1.score) < 1e-9 })
                #expect(top.total <= full.total)
                if top.totalIsExact { #expect(top.total == full.total) }
                if full.total <= countLimit { #expect(top.totalIsExact && top.total == full.total) }
                #expect(top.total >= min(full.total, countLimit))
                if !top.totalIsExact { pruned += 1 }
            }
        }
        // Small limits must really have skipped documents (else this test proves nothing).
        #expect(countLimit > 1000 || pruned > 0)
    }

    /// The pruned path over several segments with deleted documents: same hits as the full ranking.
    @Test func prunedTopKWithDeletionsAndSegments() throws {
        var rng = SplitMix64(seed: 5)
        let words = ["数据", "处理", "数据处理", "活动", "安全", "个人信息", "保护", "，"]
        var docs = [(String, String)]()
        for i in 0..<400 {
            let n = Int(rng.next() % 60) + 3
            docs.append(("d\(i).txt", (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined()))
        }
        let ix = try TestIndex(docs)
        // More segments (added later, 40 documents at a time) and deletions spread over them.
        let batches = stride(from: 400, to: 520, by: 40).map { start in
            (start..<start + 40).map { i in ("e\(i).txt", (0..<Int(rng.next() % 60) + 3).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined()) }
        }
        let searcher = try ix.grow(batches, removing: stride(from: 0, to: 520, by: 7).map { $0 < 400 ? "d\($0).txt" : "e\($0).txt" })
        #expect(searcher.snapshot.segments.count > 1)
        for q in ["数据处理", "数据处理活动", "个人信息保护 安全", "理活", "处理"] {
            var all = SearchOptions()
            all.all = true
            let full = try searcher.search(q, options: all)
            for countLimit in [0, 10, 1000] {
              for threads in [1, 3] {
                // With threads, segments are searched at once, each thread with its own heap.
                var o = SearchOptions()
                o.limit = 7
                o.exactTotal = false
                o.exactCountLimit = countLimit
                o.threads = threads
                o.parallelMinimumCandidates = 0
                o.splitSegmentsFrom = threads == 3 && countLimit == 10 ? 20 : 8192   // parts of segments too
                let top = try searcher.search(q, options: o)
                #expect(top.hits.map(\.id) == full.hits.prefix(7).map(\.id), "\(q) count limit \(countLimit) threads \(threads)")
                #expect(top.hits.map(\.score) == full.hits.prefix(7).map(\.score))
                #expect(top.total <= full.total && (!top.totalIsExact || top.total == full.total))
                if countLimit >= full.total { #expect(top.totalIsExact && top.total == full.total) }
                // A run of one bigram matches exactly the documents holding it: its total is
                // known from the dictionary, exact even when pruning skips documents.
                if q == "处理" { #expect(top.totalIsExact && top.total == full.total, "count limit \(countLimit)") }
              }
            }
        }
    }

    /// A lone run of one piece takes SinglePieceSearch's paths. One word (中国, 宗教, debian): the
    /// word's postings ranked with block skipping, then the matches that lack the word (中国
    /// inside 发展中国家, cut 发展/中/国家) filling the page by id with score 0. Several words
    /// (整改, cut 整/改, among documents holding 整 and 改 apart): the piece's documents, scored
    /// only when a bound says they could rank. Hits, scores and totals must equal the full
    /// ranking's, over several segments with deletions.
    @Test func singlePieceTopKEqualsFullRanking() throws {
        var rng = SplitMix64(seed: 31)
        let parts = ["发展中国家", "宗教", "宗教工作", "Debian 系统", "debianutils 软件包", "。", "整改", "整体改革"]
        var docs = [(String, String)]()
        for i in 0..<400 {
            let n = Int(rng.next() % 40) + 1
            var text = (0..<n).map { _ in parts[Int(rng.next() % UInt64(parts.count))] }.joined()
            if i % 50 == 7 { text += String(repeating: "中国的发展。", count: i % 3 + 1) }   // 中国 as a word: 8 documents
            docs.append(("d\(i).txt", text))
        }
        let ix = try TestIndex(docs)
        let batches = (0..<3).map { batch in
            (0..<30).map { i in ("e\(batch)-\(i).txt", i % 4 == 0 ? "中国的发展，宗教。" : "发展中国家的宗教，Debian。") }
        }
        let searcher = try ix.grow(batches, removing: stride(from: 0, to: 400, by: 9).map { "d\($0).txt" } + ["e1-4.txt"])
        #expect(searcher.snapshot.segments.count > 1)
        for q in ["中国", "宗教", "debian", "DEBIAN", "整改"] {
            var all = SearchOptions()
            all.all = true
            let full = try searcher.search(q, options: all)
            #expect(full.total > 20, "\(q)")
            for (limit, offset) in [(10, 0), (3, 2), (25, 0), (60, 10), (1, 0)] {
                var o = SearchOptions()
                o.limit = limit
                o.offset = offset
                o.exactTotal = false
                let top = try searcher.search(q, options: o)
                let expected = Array(full.hits.dropFirst(offset).prefix(limit))
                #expect(top.hits.map(\.id) == expected.map(\.id), "\(q) limit \(limit) offset \(offset)")
                #expect(top.hits.map(\.score) == expected.map(\.score), "\(q) limit \(limit) offset \(offset)")
                #expect(top.hits.map(\.rank) == expected.map(\.rank))
                #expect(top.totalIsExact && top.total == full.total)
            }
        }
        // 中国: few documents hold the word, so a long page ends with score-0 matches.
        var o = SearchOptions()
        o.limit = 40
        o.exactTotal = false
        let china = try searcher.search("中国", options: o)
        #expect(china.hits.contains { $0.score > 0 } && china.hits.contains { $0.score == 0 })
    }

    @Test func concurrentSearchesShareTheHelpers() throws {
        // Several threads each run threaded top-k searches at once: the process's few helpers
        // are posted to, found busy, or taken back; every ranking must equal one thread's.
        var rng = SplitMix64(seed: 11)
        let words = ["数据", "处理", "活动", "安全", "个人信息", "保护", "。"]
        var docs = [(String, String)]()
        for i in 0..<300 {
            let n = Int(rng.next() % 40) + 3
            docs.append(("d\(i).txt", (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined()))
        }
        let ix = try TestIndex(docs, segmentsOfOne: false)
        var options = IndexOptions()
        options.mergePolicy.segmentsPerTier = Int.max
        let w = try IndexWriter(path: ix.dir + "/idx", options: options)
        for i in 0..<6 {
            let p = ix.dir + "/docs/x\(i).txt"
            _ = FileManager.default.createFile(atPath: p, contents: Data(String(repeating: "数据处理活动。", count: i + 1).utf8))
            _ = try w.add(paths: [p])
        }
        w.close()
        let snapshot = try IndexSnapshot.open(ix.dir + "/idx")
        #expect(snapshot.segments.count >= 7)
        let queries = ["数据处理", "处理活动", "个人信息 安全", "数据", "保护。"]
        var one = SearchOptions()
        one.limit = 5
        one.exactTotal = false
        let expected = try queries.map { q in try Searcher(snapshot: snapshot).search(q, options: one).hits.map(\.id) }
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            guard let searcher = try? Searcher(snapshot: snapshot) else { failures.add(1, ordering: .relaxed); return }
            var o = one
            o.threads = 3
            o.parallelMinimumCandidates = 0
            o.splitSegmentsFrom = t % 2 == 0 ? 50 : 8192
            for i in 0..<100 {
                let q = (i + t) % queries.count
                let ids = (try? searcher.search(queries[q], options: o).hits.map(\.id)) ?? []
                if ids != expected[q] { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    @Test func weakBlocksAreSkipped() throws {
        // The first documents mention the term often in short texts; later ones once in long texts:
        // once the heap holds strong hits, whole later blocks cannot compete and are not scored.
        var docs = [(String, String)]()
        for i in 0..<40 { docs.append((String(format: "a%03d.txt", i), String(repeating: "宗教工作。", count: 8))) }
        for i in 0..<600 { docs.append((String(format: "b%03d.txt", i), "宗教。" + String(repeating: "其他的内容很长。", count: 60))) }
        let ix = try TestIndex(docs)
        var o = SearchOptions()
        o.limit = 5
        let r = try ix.searcher.search("宗教", options: o)
        #expect(r.total == 640)
        #expect(r.hits.allSatisfy { $0.info.path.contains("/a") })
        #expect(ix.searcher.lastScoredCount < 300)
    }
}

struct CoverChoice {
    private func chars(_ s: String) -> [QueryUnit] { s.unicodeScalars.map { .char($0.value) } }

    /// Offsets covered by the chosen pieces, as a set of unit indexes.
    private func covered(_ m: SequenceMatcher, _ chosen: [Int]) -> Set<Int> {
        var out = Set<Int>()
        for i in chosen { for u in 0..<m.pieces[i].span { out.insert(Int(m.pieces[i].offset) + u) } }
        return out
    }

    @Test func cheapestCoverAvoidsADenseBigram() {
        let m = SequenceMatcher(chars("宗教中国化"))
        #expect(m.pieces.map(\.offset) == [0, 1, 2, 3])
        // 中国 (offset 2) is costly: 宗教 + 教中 + 国化 pin every character without it.
        let chosen = m.covers { m.pieces[$0].offset == 2 ? 1000 : 1 }
        #expect(chosen.map { m.pieces[$0].offset } == [0, 1, 3])
        #expect(covered(m, chosen) == Set(0..<5))
        // With 教中 costly instead, every other pair (plus the last) is cheapest.
        let other = m.covers { m.pieces[$0].offset == 1 ? 1000 : 1 }
        #expect(other.map { m.pieces[$0].offset } == [0, 2, 3])
    }

    @Test func everyUnitIsCoveredWhateverTheCosts() {
        var rng = SplitMix64(seed: 7)
        let units: [QueryUnit] = chars("数据") + [.token(TermKey.text(.token, "ab"))] + chars("管理办法") + [.token(TermKey.text(.token, "x"))] + chars("国")
        let m = SequenceMatcher(units)
        for _ in 0..<200 {
            let costs = m.pieces.map { _ in Int(rng.next() % 50) }
            let chosen = m.covers { costs[$0] }
            #expect(covered(m, chosen) == Set(0..<units.count))
            #expect(chosen == chosen.sorted())
        }
    }
}

extension MatchingSemantics {
    /// `count` texts named `name<i>.txt`: random pieces of `filler(i)` up to a random size in
    /// `sizes` (UTF-8 bytes), with a random number in `perText` of `targets` inserted at random places.
    static func randomTexts(count: Int, name: String, sizes: ClosedRange<Int>, targets: [String], perText: ClosedRange<Int>,
                            seed: UInt64, filler: (Int) -> [String]) -> [(String, String)] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i -> (String, String) in
            let pieces = filler(i)
            var parts = [String]()
            var size = 0
            let target = Int.random(in: sizes, using: &rng)
            while size < target {
                let p = pieces[Int.random(in: 0..<pieces.count, using: &rng)]
                parts.append(p)
                size += p.utf8.count
            }
            for _ in 0..<Int.random(in: perText, using: &rng) {
                parts.insert(targets[Int.random(in: 0..<targets.count, using: &rng)], at: Int.random(in: 0...parts.count, using: &rng))
            }
            return ("\(name)\(i).txt", parts.joined())
        }
    }
}
