import Testing
import UFAnalysis
import UFIndex
@testable import UFSearch
import UFTestSupport

@Suite struct MatchStartFilterTests {
    /// The hit's snippets read from the region around the first place a match can start, when
    /// that region settles them; expects them, and the matches read, to be the whole text's.
    private func regionDetail(_ ix: TestIndex, _ c: TestIndex.HitLineCase) throws -> HitDetail? {
        let region = try c.withOriginal(ix) {
            ix.searcher.detailAroundFirstCandidate($0, isWhole: true, plan: c.plan, snippets: c.count, width: 80)
        }
        guard let region else { return nil }
        expectSameSnippets(region.snippets, c.whole.snippets, "\(c.query) \(c.path)")
        // Its matches are the whole text's first ones, at the same bytes.
        #expect(Array(c.whole.matches.prefix(region.matches.count)) == region.matches, "\(c.query) \(c.path)")
        return region
    }

    /// The filter's first candidate in `text`, for sequences starting with `first`.
    private func candidate(_ text: String, _ first: [Character]) throws -> Int {
        let filter = try #require(MatchStartFilter(prefixes: first.map { ($0.unicodeScalars.first!.value, nil) }))
        return Array(text.utf8).withUnsafeBytes { filter.firstCandidate(in: $0) }
    }

    /// Every BMP character whose normalised form holds a basic Han character other than itself
    /// is one the filter stops at, for that Han character: what the filter assumes of the
    /// normaliser, checked against it (NFKC_Casefold from the system's ICU, the generated
    /// Traditional→Simplified table).
    @Test func everyCharacterThatNormalisesToHanIsACandidate() throws {
        let normalizer = try Normalizer()
        var mapped = 0
        for v in UInt32(0x80)..<0x10000 {
            guard let x = Unicode.Scalar(v) else { continue }
            for h in Set(normalizer.normalize(String(x)).text) where (0x4E00...0x9FFF).contains(h) && UInt32(h) != v {
                mapped += 1
                let filter = try #require(MatchStartFilter(prefixes: [(UInt32(h), nil)]))
                let at = Array(("ab，" + String(x) + "。").utf8).withUnsafeBytes { filter.firstCandidate(in: $0) }
                #expect(at == 5, "U+\(String(v, radix: 16, uppercase: true)) normalises to U+\(String(h, radix: 16, uppercase: true))")
            }
        }
        #expect(mapped > 3_000)  // Traditional forms, radicals, compatibility ideographs, enclosed forms
    }

    /// Every BMP character that may stand between a sequence's first two Han characters in a
    /// text that still normalises to them in a row (whitespace, characters that normalise to
    /// nothing, a form of the second) passes the filter's check of the character after the first.
    @Test func everyCharacterThatCanContinueASequenceIsACandidate() throws {
        let normalizer = try Normalizer()
        let filter = try #require(MatchStartFilter(prefixes: [(0x4E00, 0x4E01)]))  // 一丁
        var continuing = 0
        for v in UInt32(0)..<0x10000 {
            // (A character that gives 一 itself starts a match of its own: the test above.)
            guard let x = Unicode.Scalar(v), !normalizer.normalize(String(x)).string.contains("一") else { continue }
            for text in ["ab，一" + String(x) + "丁。", "ab，一" + String(x) + "。"] {
                let normalized = normalizer.normalize(text).string
                guard normalized.contains("一丁") else { continue }
                continuing += 1
                let at = Array(text.utf8).withUnsafeBytes { filter.firstCandidate(in: $0) }
                #expect(at == 5, "一 U+\(String(v, radix: 16, uppercase: true))")
            }
        }
        #expect(continuing > 50)  // spaces, line breaks, ignorables, 丁's compatibility forms
        #expect(try candidate2("统战工作宗教", ("宗", "教")) == 12)
        #expect(try candidate2("宗旨。宗 教", ("宗", "教")) == 9)
        #expect(try candidate2("宗旨宗\n教", ("宗", "教")) == 6)
        #expect(try candidate2("宗旨宗", ("宗", "教")) == 6)      // cut by the end: a candidate
        #expect(try candidate2("宗旨", ("宗", "教")) == 6)        // none
    }

    private func candidate2(_ text: String, _ prefix: (Character, Character)) throws -> Int {
        let filter = try #require(MatchStartFilter(prefixes: [(prefix.0.unicodeScalars.first!.value, prefix.1.unicodeScalars.first!.value)]))
        return Array(text.utf8).withUnsafeBytes { filter.firstCandidate(in: $0) }
    }

    @Test func findsTheFirstPlaceAMatchCanStart() throws {
        #expect(try candidate("abc，宗教", ["宗"]) == 6)
        #expect(try candidate("统战工作。宗教", ["宗", "工"]) == 6)
        #expect(try candidate("统战。中國", ["国"]) == 12)      // a Traditional form
        #expect(try candidate("第⼀条 一", ["一"]) == 3)          // a Kangxi radical
        #expect(try candidate("甲㈠一", ["一"]) == 3)             // an enclosed ideograph
        #expect(try candidate("统战😀宗教", ["宗"]) == 6)         // any supplementary-plane character
        #expect(try candidate("统战工作", ["宗"]) == 12)          // none: the length
        #expect(try candidate("统战\u{5B97}", ["宗"]) == 6)
        #expect(try candidate("统战宗", ["宗", "教"]) == 6)
        #expect(MatchStartFilter(prefixes: [(0x61, nil)]) == nil)   // a Latin first unit: no filter
        #expect(MatchStartFilter(prefixes: [(0x5B97, nil), (0x3042, nil)]) == nil)
        #expect(MatchStartFilter(prefixes: []) == nil)
    }

    /// Snippets read from the region around a query's first possible match are the whole
    /// text's: documents of up to 16 KiB of Han text, punctuation, line breaks, Latin runs,
    /// Traditional, compatibility and enclosed forms, with rare targets at random places.
    @Test func snippetsAroundTheFirstCandidateAreTheWholeTextsSnippets() throws {
        let plain = ["工作要点", "，", "。", "\n", " ", "Linux 内核", "２０２１年", "abc", "統計", "；", "数据处理活动",
                     "e\u{301}", "“引号”", "战线", "統一", "一"]
        // Characters the filter stops at whatever the query, in every other document only.
        let stops = plain + ["㈠", "⼯作", "😀"]
        let targets = ["统一战线", "統一戰線", "统一 战线", "统一\n战线", "战线统一", "㈠战线", "一战线"]
        let docs = MatchingSemantics.randomTexts(count: 80, name: "d", sizes: 100...16_000, targets: targets, perText: 1...3, seed: 33) {
            $0 % 2 == 0 ? plain : stops
        }
        let ix = try TestIndex(docs)
        var fromRegion = 0, fromInside = 0
        try ix.forEachHitLine(["统一战线", "战线", "統一", "一战线", "战线统一 OR 统计", "统一 -数据", "工作"]) { c, _ in
            guard let region = try regionDetail(ix, c) else { return }
            fromRegion += 1
            if let m = region.matches.first, m.lowerBound > 2 * Searcher.regionBefore { fromInside += 1 }
        }
        #expect(fromRegion > 100)
        #expect(fromInside > 10)  // regions starting inside the text were taken
    }

    /// Texts full of false candidates (the query's first two characters, or forms of them, not
    /// followed by the rest): the regions around them hold no match, the scan goes on past each
    /// region's known end, and the snippets found further on are still the whole text's.
    @Test func falseCandidatesAreSkippedRegionByRegion() throws {
        let misses = ["宗教事务", "宗教工作", "宗教 工作", "宗\n教局", "宗敎事務", "宗教", "宗", "教界", "，", "。", "\n", "工作要点",
                      "数据处理活动", "Linux 内核", "e\u{301}", "㈠"]
        let targets = ["宗教界", "宗教 界", "宗\n教界", "宗敎界", "宗教界宗教界"]
        let docs = MatchingSemantics.randomTexts(count: 60, name: "f", sizes: 500...16_000, targets: targets, perText: 1...3, seed: 34) {
            _ in misses
        }
        let ix = try TestIndex(docs)
        var fromRegion = 0, pastFalse = 0
        try ix.forEachHitLine(["宗教界", "宗教界 工作", "宗敎界"]) { c, _ in
            guard try regionDetail(ix, c) != nil else { return }
            fromRegion += 1
            let filter = try #require(ix.searcher.matchStartFilter(c.plan))
            let first = try c.withOriginal(ix) { filter.firstCandidate(in: $0) }
            if let m = c.whole.matches.first, m.lowerBound > first + Searcher.regionAfter(snippets: c.count) { pastFalse += 1 }
        }
        #expect(fromRegion > 60)
        #expect(pastFalse > 30)  // regions found past a first region of false candidates
    }

    /// A hit's count of occurrences, from the ranked page, settles two snippets from the region
    /// around its only match: without it the region cannot tell that no second match follows,
    /// and a longer part of the text is read. The snippets are the whole text's, and so, when
    /// every match is asked for, are the matches.
    @Test func aKnownCountSettlesTheRegionAroundTheOnlyMatch() throws {
        let filler = String(repeating: "工作要点", count: 200)  // 2,400 bytes
        let far = String(repeating: "工作要点", count: 1200)    // 14,400 bytes
        let ix = try TestIndex([("one.txt", filler + "宗教界" + far),
                                ("two.txt", filler + "宗教界" + far + "宗教界" + filler),
                                ("three.txt", "宗教界宗教界" + filler + "宗教界" + far)])
        var o = SearchOptions()
        o.exactTotal = false
        for (q, expected) in [("宗教界", ["one.txt": 1, "two.txt": 2, "three.txt": 3]), ("宗教", ["one.txt": 1, "two.txt": 2, "three.txt": 3])] {
            let r = try ix.searcher.search(q, options: o)
            var counts = [String: Int]()
            for h in r.hits {
                let name = String(h.info.path.split(separator: "/").last ?? "")
                let n = try #require(h.occurrences, "\(q) \(name)")
                counts[name] = n
                let (s, l) = try #require(ix.searcher.snapshot.locate(h.id))
                let whole = try ix.searcher.detail(id: h.id, plan: r.plan, snippets: 2, allMatches: true)
                func region(_ known: Int?, everyMatch: Bool = false) throws -> HitDetail? {
                    try ix.searcher.snapshot.segments[s].withOriginal(l) { bytes, _ in
                        ix.searcher.detailAroundFirstCandidate(bytes, isWhole: true, plan: r.plan, snippets: 2, width: 80, knownMatches: known,
                                                               everyMatch: everyMatch)
                    }
                }
                let part = try ix.searcher.detail(id: h.id, plan: r.plan, snippets: 2, allMatches: false, occurrences: n)
                expectSameSnippets(part.snippets, whole.snippets, "\(q) \(name)")
                let every = try ix.searcher.detail(id: h.id, plan: r.plan, snippets: 2, allMatches: true, occurrences: n)
                expectSameSnippets(every.snippets, whole.snippets, "\(q) \(name)")
                #expect(every.matches == whole.matches, "\(q) \(name)")
                switch name {
                case "one.txt":
                    #expect(try region(nil) == nil, "\(q): one match, and nothing says no second follows")
                    let settled = try #require(try region(n), "\(q)")
                    expectSameSnippets(settled.snippets, whole.snippets, "\(q) \(name)")
                    // Every match: the region's are all of them, and no region settles without the count.
                    #expect(try region(n, everyMatch: true)?.matches == whole.matches, "\(q)")
                    #expect(try region(nil, everyMatch: true) == nil, "\(q)")
                case "two.txt":
                    // The second match is 14 KB on: no region around the first holds two.
                    #expect(try region(n) == nil, "\(q)")
                    // A wrong count would settle it with one snippet where the text has two: it
                    // is the count, not the region, that settles the first case.
                    #expect(try region(1)?.snippets.count == 1, "\(q)")
                    #expect(try region(1, everyMatch: true)?.matches.count == 1, "\(q)")
                    #expect(whole.snippets.count == 2 && whole.matches.count == 2)
                default:
                    // 宗教界宗教界: two occurrences, one merged match; the region cannot hold three.
                    #expect(try region(n) == nil, "\(q)")
                }
            }
            #expect(counts == expected, "\(q)")
        }
    }

    /// A region around a false candidate that holds a match but cannot settle two snippets: the
    /// scan goes on from that match, never past it, so the next region cannot skip it (its
    /// snippets would then start at the later matches).
    @Test func theScanNeverSkipsAMatchARegionHeld() throws {
        let filler = String(repeating: "工作要点", count: 20), far = String(repeating: "工作要点", count: 300)
        let text = "宗教事务" + filler + "宗教界甲" + far + "宗教界乙" + String(repeating: "工作要点", count: 30) + "宗教界丙" + far
        let ix = try TestIndex([("a.txt", text)])
        var o = SearchOptions()
        o.all = true
        let r = try ix.searcher.search("宗教界", options: o)
        let h = try #require(r.hits.first)
        let whole = try ix.searcher.detail(id: h.id, plan: r.plan, snippets: 2, allMatches: true)
        #expect(whole.matches.count == 3)
        let region = try ix.searcher.snapshot.segments[0].withOriginal(0) { bytes, _ in
            ix.searcher.detailAroundFirstCandidate(bytes, isWhole: true, plan: r.plan, snippets: 2, width: 80)
        }
        if let region {
            expectSameSnippets(region.snippets, whole.snippets, "two snippets")
            #expect(region.matches.first == whole.matches.first)
        }
        let part = try ix.searcher.detail(id: h.id, plan: r.plan, snippets: 2, allMatches: false)
        expectSameSnippets(part.snippets, whole.snippets, "two snippets")
    }
}
