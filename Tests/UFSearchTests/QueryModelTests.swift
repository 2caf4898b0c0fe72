import Foundation
import Testing
@testable import UFSearch
import UFTestSupport

/// Random boolean queries against a model of the query language.
///
/// Documents are random mixes of Han characters (some Traditional), Latin words and numbers (in
/// several cases, some full-width), punctuation and whitespace (ASCII, line breaks, U+3000). The
/// model never looks at the engine: it normalises a text with Foundation (NFKC, lower case, a
/// three-entry Traditional→Simplified table), cuts it into units (a Han character, a maximal
/// run of [a-z0-9], any other non-space character), and matches a sequence when the document's
/// units contain the query's units contiguously. Queries are trees of bare terms, phrases
/// (which may mix Latin and Han and hold punctuation), `path:`, `year:` and `title:` filters,
/// implicit AND, OR, `-` and parentheses, rendered as text in the surface forms the documents
/// use and parsed by the engine. The model takes a title and a year as the README defines them
/// (the first non-blank line; a year in the title, else the path, else the first dated one in
/// the text).
///
/// Each seed builds its index from several `add`s with replacements and deletions, so the
/// matching runs over segments with tombstones. For every query the engine's full answer
/// (`all`) must be exactly the model's documents, and a pruned top-10 (count limits 0, 5 and
/// 1,000; one and two threads) must be the full ranking's first ten. The same runs with
/// `--loose`, where the model asks the engine for a bare term's ICU words only.
struct QueryModel {
    /// A query unit, normalised: a Han character, a Latin/number token or a punctuation mark.
    enum Unit: Hashable {
        case han(Character)
        case word(String)
        case punct(Character)
    }

    /// Surface forms of the units the documents and queries are made of.
    static let han: [(Character, [String])] = [
        ("宗", ["宗"]), ("教", ["教"]), ("中", ["中"]), ("国", ["国", "國"]), ("化", ["化"]),
        ("统", ["统", "統"]), ("战", ["战", "戰"]), ("线", ["线"]),
    ]
    static let words: [(String, [String])] = [
        ("debian", ["debian", "Debian", "DEBIAN", "ＤＥＢＩＡＮ"]), ("linux", ["linux", "Linux", "ＬＩＮＵＸ"]),
        ("debianutils", ["debianutils"]), ("2019", ["2019", "２０１９"]), ("x86", ["x86", "X86"]),
    ]
    /// Punctuation by its NFKC form: some of these join letters or digits into one word under
    /// ICU's rules (`2019,2020`, `3.14`, `a:b`, `debian's`, `a_b`), which the engine cuts.
    static let puncts: [(Character, [String])] = [
        (",", ["，", ","]), ("。", ["。"]), ("-", ["-", "－"]), ("!", ["!", "！"]), (".", [".", "．"]),
        (":", [":", "："]), ("'", ["'"]), ("_", ["_"]), ("、", ["、"]),
    ]
    static let spaces = [" ", "\n", "\u{3000}", "\r\n", "\t"]
    static let traditional: [Character: Character] = ["國": "国", "統": "统", "戰": "战"]

    // MARK: The model

    /// The model's units of `text`.
    static func units(_ text: String) -> [Unit] {
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        var out = [Unit]()
        var word = ""
        func flush() { if !word.isEmpty { out.append(.word(word)); word = "" } }
        for ch in folded {
            let c = traditional[ch] ?? ch
            if c.isASCII && (c.isLetter || c.isNumber) {
                word.append(c)
                continue
            }
            flush()
            if c.isWhitespace { continue }
            if let s = c.unicodeScalars.first, (0x4E00...0x9FFF).contains(s.value) { out.append(.han(c)) } else { out.append(.punct(c)) }
        }
        flush()
        return out
    }

    /// True when `units` holds `seq` contiguously.
    static func contains(_ units: [Unit], _ seq: [Unit]) -> Bool {
        guard !seq.isEmpty, seq.count <= units.count else { return false }
        for i in 0...(units.count - seq.count) where units[i] == seq[0] {
            if Array(units[i..<i + seq.count]) == seq { return true }
        }
        return false
    }

    /// A query tree.
    indirect enum Query {
        case seq([Unit], quoted: Bool)
        /// `path:TEXT`: the stored path contains the text.
        case path(String)
        /// `year:LO..HI` (either end open).
        case year(Int?, Int?)
        /// `title:TEXT`: the normalised title contains the normalised text.
        case title(String)
        case and([Query])
        case or([Query])
        case not(Query)

        /// The model's answer for document `d`. With `looseWords` (`--loose`), a bare term of
        /// several ICU words matches when the document holds each of the words it gives.
        func matches(_ d: Doc, looseWords: (([Unit]) -> [[Unit]])? = nil) -> Bool {
            switch self {
            case .seq(let s, let quoted):
                if !quoted, let words = looseWords?(s), words.count > 1 {
                    return words.allSatisfy { QueryModel.contains(d.units, $0) }
                }
                return QueryModel.contains(d.units, s)
            case .path(let p): return d.path.contains(p)
            case .year(let lo, let hi): return d.year != 0 && d.year >= (lo ?? Int.min) && d.year <= (hi ?? Int.max)
            case .title(let t): return QueryModel.flat(d.title).contains(QueryModel.flat(t))
            case .and(let c): return c.allSatisfy { $0.matches(d, looseWords: looseWords) }
            case .or(let c): return c.contains { $0.matches(d, looseWords: looseWords) }
            case .not(let c): return !c.matches(d, looseWords: looseWords)
            }
        }
    }

    /// What the model knows of a document.
    struct Doc {
        let path: String
        let units: [Unit]
        let title: String
        let year: Int

        init(path: String, text: String) {
            self.path = path
            units = QueryModel.units(text)
            // The title: the first line that is not blank, trimmed, cut at 80 characters.
            let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? ""
            title = line.count > 80 ? String(line.prefix(80)) + "…" : line
            // The year: a 19xx or 20xx standing alone in the title, else in the path, else the
            // first one in the text followed by 年, -, . or / (full-width digits and marks count,
            // as NFKC makes them ASCII).
            let nfkc = { (s: String) in s.precomposedStringWithCompatibilityMapping }
            year = QueryModel.firstYear(nfkc(title), needsMark: false) ?? QueryModel.firstYear(path, needsMark: false)
                ?? QueryModel.firstYear(nfkc(text), needsMark: true) ?? 0
        }
    }

    /// The first 19xx or 20xx in `s` with no digit either side (and, with `needsMark`, followed by
    /// 年, -, . or /).
    static func firstYear(_ s: String, needsMark: Bool) -> Int? {
        let c = Array(s.unicodeScalars)
        func isDigit(_ i: Int) -> Bool { i >= 0 && i < c.count && ("0"..."9").contains(c[i]) }
        var i = 0
        while i + 4 <= c.count {
            let y = Int(String(String.UnicodeScalarView(c[i..<i + 4])))
            if (0..<4).allSatisfy({ isDigit(i + $0) }), let y, (1900...2099).contains(y), !isDigit(i - 1), !isDigit(i + 4),
               !needsMark || (i + 4 < c.count && "年-./".unicodeScalars.contains(c[i + 4])) {
                return y
            }
            i += 1
        }
        return nil
    }

    /// A title's text as the title filter compares it: normalised (NFKC, lower case, the
    /// Traditional table) with whitespace between two Han characters dropped.
    static func flat(_ s: String) -> String {
        let folded = s.precomposedStringWithCompatibilityMapping.lowercased().map { traditional[$0] ?? $0 }
        func isHan(_ c: Character) -> Bool { c.unicodeScalars.first.map { (0x4E00...0x9FFF).contains($0.value) } ?? false }
        var out = [Character]()
        var i = 0
        while i < folded.count {
            if folded[i].isWhitespace, let last = out.last, isHan(last) {
                var j = i
                while j < folded.count && folded[j].isWhitespace { j += 1 }
                if j < folded.count && isHan(folded[j]) { i = j; continue }
            }
            out.append(folded[i])
            i += 1
        }
        return String(out)
    }

    // MARK: Generation

    /// Random surface text of one unit (itself when the tables do not list it, as 年 or 2016).
    static func surface(_ u: Unit, _ rng: inout SplitMix64) -> String {
        func pick(_ forms: [String]?, _ plain: String) -> String {
            guard let forms else { return plain }
            return forms[Int(rng.next() % UInt64(forms.count))]
        }
        switch u {
        case .han(let c): return pick(han.first { $0.0 == c }?.1, String(c))
        case .word(let w): return pick(words.first { $0.0 == w }?.1, w)
        case .punct(let p): return pick(puncts.first { $0.0 == p }?.1, String(p))
        }
    }

    /// A random unit.
    static func randomUnit(_ rng: inout SplitMix64, punctuation: Bool) -> Unit {
        let r = rng.next() % 10
        if r < 6 { return .han(han[Int(rng.next() % UInt64(han.count))].0) }
        if r < 9 || !punctuation { return .word(words[Int(rng.next() % UInt64(words.count))].0) }
        return .punct(puncts[Int(rng.next() % UInt64(puncts.count))].0)
    }

    /// A random document: units in random surface forms, with whitespace between some of them
    /// (always between two Latin words, which would otherwise join).
    static func document(_ rng: inout SplitMix64) -> String {
        let n = Int(rng.next() % 70)
        var text = ""
        var last: Unit?
        for _ in 0..<n {
            let u = randomUnit(&rng, punctuation: true)
            let joined: Bool
            if case .word = u, case .word = last { joined = false } else { joined = rng.next() % 3 != 0 }
            if last != nil && !joined { text += spaces[Int(rng.next() % UInt64(spaces.count))] }
            text += surface(u, &rng)
            last = u
        }
        return text
    }

    /// A random sequence of 1–4 units: mostly a piece of a document, so that queries match.
    static func sequence(_ docs: [Doc], quoted: Bool, _ rng: inout SplitMix64) -> [Unit] {
        let len = Int(rng.next() % 4) + 1
        var s = [Unit]()
        let d = docs[Int(rng.next() % UInt64(docs.count))].units
        if rng.next() % 10 < 7 && d.count >= len {
            let start = Int(rng.next() % UInt64(d.count - len + 1))
            s = Array(d[start..<start + len])
        } else {
            s = (0..<len).map { _ in randomUnit(&rng, punctuation: quoted) }
        }
        if !quoted {
            // A bare term holds no punctuation (a leading `-` would exclude) and no two Latin
            // words in a row (they would join into one).
            var out = [Unit]()
            for u in s {
                if case .punct = u { continue }
                if case .word = u, case .word = out.last { continue }
                out.append(u)
            }
            s = out.isEmpty ? [.han("宗")] : out
        }
        return s
    }

    /// A random query tree of at most `depth` levels of operators.
    static func query(_ docs: [Doc], depth: Int, _ rng: inout SplitMix64) -> Query {
        let r = depth == 0 ? 0 : rng.next() % 3
        switch r {
        case 0:
            switch rng.next() % 12 {
            case 0: return .path(["2019/", "misc/", "/d1", "e1-", ".txt"][Int(rng.next() % 5)])
            case 1:
                let lo = 2017 + Int(rng.next() % 5), hi = lo + Int(rng.next() % 3)
                return [.year(lo, hi), .year(lo, lo), .year(nil, hi), .year(lo, nil)][Int(rng.next() % 4)]
            case 2:
                // Part of some title, or a random pair of Han characters.
                let t = docs[Int(rng.next() % UInt64(docs.count))].title.filter { !$0.isWhitespace && $0 != "\"" && $0 != "(" && $0 != ")" }
                if t.count >= 2 && rng.next() % 4 != 0 {
                    let start = Int(rng.next() % UInt64(t.count - 1)), len = min(Int(rng.next() % 3) + 1, t.count - start)
                    return .title(String(Array(t)[start..<start + len]))
                }
                return .title(String([han[Int(rng.next() % UInt64(han.count))].0, han[Int(rng.next() % UInt64(han.count))].0]))
            default:
                let quoted = rng.next() % 3 == 0
                return .seq(sequence(docs, quoted: quoted, &rng), quoted: quoted)
            }
        case 1:
            // A conjunction: one positive clause at least, some clauses excluded.
            var c = [query(docs, depth: depth - 1, &rng)]
            for _ in 0..<Int(rng.next() % 3) + 1 {
                let q = query(docs, depth: depth - 1, &rng)
                c.append(rng.next() % 3 == 0 ? .not(q) : q)
            }
            return .and(c)
        default:
            return .or((0..<Int(rng.next() % 2) + 2).map { _ in query(docs, depth: depth - 1, &rng) })
        }
    }

    /// The query as `ufsearch query` text.
    static func render(_ q: Query, _ rng: inout SplitMix64) -> String {
        switch q {
        case .seq(let units, let quoted):
            var text = ""
            var last: Unit?
            for u in units {
                if let l = last {
                    if case .word = u, case .word = l { text += " " } else if quoted && rng.next() % 3 == 0 { text += " " }
                }
                text += surface(u, &rng)
                last = u
            }
            return quoted ? "\"\(text)\"" : text
        case .path(let p): return "path:" + p
        case .title(let t): return "title:" + t
        case .year(let lo, let hi):
            if let lo, let hi { return lo == hi ? "year:\(lo)" : "year:\(lo)..\(hi)" }
            return "year:" + (lo.map { "\($0).." } ?? "") + (hi.map { "..\($0)" } ?? "")
        case .and(let c):
            return c.map { child -> String in
                if case .or = child { return "(" + render(child, &rng) + ")" }
                return render(child, &rng)
            }.joined(separator: " ")
        case .or(let c):
            return c.map { render($0, &rng) }.joined(separator: " OR ")
        case .not(let c):
            switch c {
            case .and, .or, .not: return "-(" + render(c, &rng) + ")"
            default: return "-" + render(c, &rng)
            }
        }
    }

    // MARK: The test

    @Test(arguments: Array(1...8) as [UInt64])
    func randomQueriesMatchTheModel(seed: UInt64) throws {
        try check(seed: seed, loose: false)
    }

    /// `--loose`: a bare term matches when each of its ICU words occurs somewhere. The words are
    /// the one thing the model takes from the engine (`SequenceQuery.wordTexts`, ICU's choice);
    /// whether a document holds each word is the model's own containment test.
    @Test(arguments: Array(101...104) as [UInt64])
    func looseQueriesMatchTheModel(seed: UInt64) throws {
        try check(seed: seed, loose: true)
    }

    /// Builds a random index for `seed` and compares 250 random queries with the model.
    func check(seed: UInt64, loose: Bool) throws {
        var rng = SplitMix64(seed: seed)
        // A first batch, then three adds (one of which rewrites earlier documents), then removals.
        var texts = [String: String]()
        // Folders give some documents a year (when their title names none); some texts start with one.
        func folder(_ i: Int) -> String { ["2019", "2020", "misc", "2021"][i % 4] }
        func text() -> String {
            let y = 2016 + Int(rng.next() % 7)
            return ["", "", "\(y)年", "首页\n\(y)-", "\(y)"][Int(rng.next() % 5)] + Self.document(&rng)
        }
        let first = (0..<80).map { i in ("\(folder(i))/d\(i).txt", text()) }
        for (n, t) in first { texts[n] = t }
        let ix = try TestIndex(first)
        var batches = [[(String, String)]]()
        for b in 0..<3 {
            let batch = (0..<25).map { i in
                b == 2 && i % 2 == 0 ? ("\(folder(i * 3))/d\(i * 3).txt", text()) : ("\(folder(i))/e\(b)-\(i).txt", text())
            }
            for (n, t) in batch { texts[n] = t }
            batches.append(batch)
        }
        let removed = texts.keys.sorted().filter { _ in rng.next() % 6 == 0 }
        for n in removed { texts[n] = nil }
        let searcher = try ix.grow(batches, removing: removed)
        #expect(searcher.snapshot.segments.count > 1)

        let names = texts.keys.sorted()
        let docs = names.map { Doc(path: "docs/" + $0, text: texts[$0]!) }
        // A bare term's ICU words, each as the model's units (a bare term holds no whitespace, and
        // its words do not depend on the surface forms, which normalise alike).
        let compiler = QueryCompiler(analyzer: searcher.analyzer)
        var wordCache = [[Unit]: [[Unit]]]()
        let looseWords: (([Unit]) -> [[Unit]])? = loose ? { units in
            if let w = wordCache[units] { return w }
            let plain = units.map { u -> String in
                switch u {
                case .han(let c), .punct(let c): return String(c)
                case .word(let w): return w
                }
            }.joined()
            let w = compiler.sequence(plain).wordTexts.map { Self.units($0) }
            wordCache[units] = w
            return w
        } : nil
        var matched = 0, split = 0
        for _ in 0..<250 {
            let q = Self.query(docs, depth: Int(rng.next() % 3), &rng)
            let text = Self.render(q, &rng)
            func answer(_ words: (([Unit]) -> [[Unit]])?) -> [String] {
                names.indices.filter { q.matches(docs[$0], looseWords: words) }.map { names[$0] }
            }
            let truth = answer(looseWords)
            matched += truth.isEmpty ? 0 : 1
            if loose && truth != answer(nil) { split += 1 }

            var all = SearchOptions()
            all.loose = loose
            all.all = true
            let full = try searcher.search(text, options: all)
            let got = TestIndex.names(of: full.hits)
            let missed = Set(truth).subtracting(got).sorted(), extra = Set(got).subtracting(truth).sorted()
            #expect(missed.isEmpty && extra.isEmpty, "seed \(seed): \(text): missed \(missed), extra \(extra)")
            #expect(full.total == truth.count, "seed \(seed): \(text)")

            var top = SearchOptions()
            top.loose = loose
            top.exactTotal = false
            top.exactCountLimit = [0, 5, 1000][Int(rng.next() % 3)]
            top.threads = Int(rng.next() % 2) + 1
            top.parallelMinimumCandidates = 0
            let page = try searcher.search(text, options: top)
            #expect(page.hits.map(\.id) == full.hits.prefix(10).map(\.id), "seed \(seed): \(text) top 10")
            #expect(page.hits.map(\.score) == full.hits.prefix(10).map(\.score), "seed \(seed): \(text) top 10 scores")
        }
        // Most queries must find something, or the comparison proves little.
        #expect(matched > 125, "seed \(seed): \(matched) of 250 queries matched")
        // And loose queries must often answer differently from exact ones, or they test nothing new.
        if loose { #expect(split > 10, "seed \(seed): \(split) of 250 loose answers differ from the exact ones") }
    }

    /// The model itself: units and containment on hand-made cases.
    @Test func theModelCutsUnitsAsTheLanguageSays() {
        #expect(Self.units("Debian　國家\n统一，X86-64 debianutils") == [
            .word("debian"), .han("国"), .han("家"), .han("统"), .han("一"), .punct(","),
            .word("x86"), .punct("-"), .word("64"), .word("debianutils"),
        ])
        #expect(Self.units("ＬＩＮＵＸ内核！") == [.word("linux"), .han("内"), .han("核"), .punct("!")])
        #expect(Self.contains(Self.units("宗教\n中國化"), Self.units("宗教中国化")))
        #expect(!Self.contains(Self.units("宗教，中国化"), Self.units("宗教中国化")))
        #expect(!Self.contains(Self.units("debianutils"), Self.units("debian")))
    }
}
