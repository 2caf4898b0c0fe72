import ArgumentParser
import Dispatch
import UFAnalysis
import UFIndex
import UFSearch

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Search the index: every document that contains the query, ranked.",
        discussion: """
        Chinese text matches exactly the documents whose normalised text contains it \
        (NFKC, case folding, Traditional→Simplified; line breaks between Han characters \
        ignored), never across punctuation. Latin words and numbers match whole tokens, \
        case-insensitively.

        Query language: space-separated terms must all match; OR gives alternatives \
        (AND binds tighter); -term excludes; "…" is a phrase (may mix Chinese and Latin); \
        parentheses group; filters title:TEXT, path:TEXT, year:2019..2021.

        Exit status: 0 when something matched, 1 when nothing did, 2 on error.

        Examples:
          ufsearch query 宗教中国化
          ufsearch query '统战 (乡村振兴 OR 民营经济) -港澳台'
          ufsearch query --json -n 5 '"Linux 内核"'
          ufsearch query --files --all 'year:2019..2021 title:统战'
          printf '宗教\\n民族团结\\n' | ufsearch query -
        """
    )
    @OptionGroup var location: IndexLocation
    @Flag(name: .long, help: "One JSON object per hit per line.") var json = false
    @Flag(name: .long, help: "Print matching paths only (like rg -l).") var files = false
    @Flag(name: .long, help: "Print the number of matching documents.") var count = false
    @Option(name: [.customShort("n"), .customLong("limit")], help: "Hits to show.") var limit: Int = 10
    @Option(name: .long, help: "Hits to skip.") var offset: Int = 0
    @Flag(name: .long, help: "Show every hit.") var all = false
    @Flag(name: .long, help: "Show each hit's score breakdown: tf, df, dl, idf and boosts.") var explain = false
    @Flag(name: .long, help: "Each ICU word of a term must occur somewhere, not the whole run.") var loose = false
    @Option(name: .long, help: "Colour: always, never or auto (a terminal).") var color: ColorMode = .auto
    @Flag(name: .long, help: ArgumentHelp("With -: add each query's in-process time (top-k search only, in ms) to its lines.", visibility: .hidden))
    var timings = false
    @Option(name: .long, help: "Threads a ranked page may search segments with; by default one per core, up to 4.")
    var threads: Int = QuerySettings.defaultThreads
    @Argument(parsing: .allUnrecognized,
              help: "The query (several arguments are joined by spaces, so `query 宗教 -统战` excludes), or - to read one query per line from stdin.")
    var query: [String] = []

    func validate() throws {
        if query.isEmpty { throw ValidationError("give a query, or - to read queries from stdin") }
        if limit < 0 { throw ValidationError("--limit must be 0 or more") }
        if offset < 0 { throw ValidationError("--offset must be 0 or more") }
        if threads < 1 { throw ValidationError("--threads must be 1 or more") }
        if [json, files, count].filter({ $0 }).count > 1 { throw ValidationError("choose one of --json, --files and --count") }
    }

    /// The settings parsed.
    var settings: QuerySettings {
        QuerySettings(indexPath: location.path, json: json, files: files, count: count, limit: limit, offset: offset,
                      all: all, explain: explain, loose: loose, color: color, timings: timings, threads: threads, query: query)
    }

    func run() throws { try settings.run() }
}

/// What `ufsearch query` was asked, however the command line was parsed: by ArgumentParser, or,
/// for the plain form `query [--index DIR] WORD...`, by ``init(fastParsing:)``, which skips
/// ArgumentParser's start-up (about 2 ms of type metadata lookups and reflection per process).
struct QuerySettings {
    var indexPath: String
    var json = false
    var files = false
    var count = false
    var limit = 10
    var offset = 0
    var all = false
    var explain = false
    var loose = false
    var color: ColorMode = .auto
    var timings = false
    var threads = QuerySettings.defaultThreads
    var query: [String] = []

    /// Settings for `arguments` (after the program name) when they are `query`, at most one
    /// `--index DIR`, and query words that ArgumentParser would take as plain words: none empty,
    /// none starting with `-`, none `help`. Nil otherwise (ArgumentParser handles the rest,
    /// errors and help included).
    init?(fastParsing arguments: ArraySlice<String>) {
        guard arguments.first == "query" else { return nil }
        var index: String? = nil
        var words = [String]()
        var rest = arguments.dropFirst()
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--index" {
                guard index == nil, let v = rest.first, !v.isEmpty, !v.hasPrefix("-") else { return nil }
                index = v
                rest = rest.dropFirst()
            } else if a.isEmpty || a.hasPrefix("-") || a == "help" {
                return nil
            } else {
                words.append(a)
            }
        }
        guard !words.isEmpty else { return nil }
        indexPath = IndexDirectory.resolve(explicit: index)
        query = words
    }

    init(indexPath: String, json: Bool, files: Bool, count: Bool, limit: Int, offset: Int, all: Bool, explain: Bool,
         loose: Bool, color: ColorMode, timings: Bool, threads: Int, query: [String]) {
        self.indexPath = indexPath
        self.json = json; self.files = files; self.count = count
        self.limit = limit; self.offset = offset; self.all = all
        self.explain = explain; self.loose = loose; self.color = color
        self.timings = timings; self.threads = threads; self.query = query
    }

    var options: SearchOptions {
        var o = SearchOptions()
        o.limit = limit
        o.offset = offset
        o.all = all
        o.explain = explain
        o.loose = loose
        // Only --count reports the total on its own; elsewhere it is a footnote, exact up to
        // 1,000 matches and a lower bound past them (so top-k can skip what cannot rank).
        o.exactTotal = count
        o.threads = threads
        return o
    }

    /// Threads a ranked page uses unless `--threads` says otherwise: one per core, up to four
    /// (segments are handed out to them; the server keeps one per query, its pool already
    /// using every core).
    static let defaultThreads = min(4, Sys.processorCount())

    func run() throws {
        let matched: Bool = try reportingErrors {
            // ICU's engine for Han words is built on the other core meanwhile.
            if query.contains(where: { $0.unicodeScalars.contains { CharClass.isHan($0.value) } }) {
                DetachedThread.start(name: "ufs-icu-warmup") { Segmenter.prepareHanEngine() }
            }
            let snapshot = try IndexSnapshot.open(indexPath)
            let searcher = try Searcher(snapshot: snapshot)
            // The process ends after this command: unmapping the segments and freeing ICU's
            // objects one by one would only cost time.
            Lifetime.keep(snapshot, searcher)
            // With unrecognised arguments taken as query words, a `--` separator arrives too: drop it.
            let words = query.first == "--" ? Array(query.dropFirst()) : query
            if words == ["-"] { return try runStdin(searcher) }
            var text = ""  // not joined(separator:), which looks up a conformance at run time
            for (i, w) in words.enumerated() { text += i == 0 ? w : " " + w }
            let results: SearchResults
            do { results = try searcher.search(text, options: options) } catch let e as QueryError {
                throw CLIError(message: e.description)
            }
            try printResults(results, searcher: searcher, query: text)
            if results.total == 0 { try explainNoMatch(text, searcher: searcher) }
            return results.total > 0
        }
        Output.flush()
        if !matched { throw ExitCode(1) }
    }

    private func printResults(_ r: SearchResults, searcher: Searcher, query: String) throws {
        if count { Output.line(String(r.total)); return }
        if files { for h in r.hits { Output.line(h.info.path) }; return }
        let useColor = color.enabled
        for h in r.hits {
            let d = try searcher.detail(id: h.id, plan: r.plan, allMatches: json, occurrences: h.occurrences)
            if json {
                Output.line(HitJSON.line(h, detail: d, query: nil))
            } else {
                let score = FixedPoint.text(h.score, digits: 2)
                Output.line("\(h.rank). \(h.info.title.isEmpty ? "(untitled)" : h.info.title)  [\(score)]")
                Output.line("   \(h.info.path)")
                for s in d.snippets { Output.line("   " + Colorizer.render(s, color: useColor)) }
                if let e = h.explanation { for l in HitJSON.explainLines(e) { Output.line("   " + l) } }
            }
        }
        if !json && r.total > r.hits.count + options.offset && !r.hits.isEmpty {
            let of = r.totalIsExact ? "\(r.total)" : "at least \(r.total)"
            let exact = r.totalIsExact ? "" : "; --count for the exact number"
            Output.line("(\(r.hits.count) of \(of) documents shown; --all or --offset \(options.offset + r.hits.count) for more\(exact))")
        }
    }

    /// The stderr message when nothing matched exactly, with the --loose hint.
    private func explainNoMatch(_ text: String, searcher: Searcher) throws {
        guard !loose else { Output.errorLine("no document matches \(text)"); return }
        let loosePlan = try searcher.compile(text, loose: true)
        let n = try searcher.matchingIDs(loosePlan).count
        if n > 0 {
            Output.errorLine("no document contains \(text) exactly; \(n) contain its words apart (ufsearch query --loose \(text))")
        } else {
            Output.errorLine("no document contains \(text)")
        }
    }

    /// `query -`: one query per line, the index opened once, JSON lines carrying the query.
    private func runStdin(_ searcher: Searcher) throws -> Bool {
        var any = false
        // Split on LF bytes (in Swift, "\r\n" is one Character, so splitting the String would not).
        for raw in Output.readStdin().split(separator: 0x0A, omittingEmptySubsequences: true) {
            let line = raw.last == 0x0D ? raw.dropLast() : raw[...]
            let q = String(decoding: line, as: UTF8.self)
            if q.unicodeScalars.allSatisfy({ $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }) { continue }
            do {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let r = try searcher.search(q, options: options)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                if timings {
                    var pairs = [("query", JSONText.quote(q)), ("total", String(r.total))]
                    if !r.totalIsExact { pairs.append(("total_exact", "false")) }
                    pairs.append(("ms", FixedPoint.text(ms, digits: 4)))
                    Output.line(JSONText.object(pairs))
                } else if count || r.hits.isEmpty {
                    Output.line(JSONText.object([("query", JSONText.quote(q)), ("total", String(r.total))]))
                }
                if !count {
                    for h in r.hits {
                        if files {
                            Output.line(JSONText.object([("query", JSONText.quote(q)), ("path", JSONText.quote(h.info.path))]))
                        } else {
                            Output.line(HitJSON.line(h, detail: try searcher.detail(id: h.id, plan: r.plan, occurrences: h.occurrences), query: q))
                        }
                    }
                }
                any = any || r.total > 0
            } catch let e as QueryError {
                Output.line(JSONText.object([("query", JSONText.quote(q)), ("error", JSONText.quote(e.description))]))
            }
        }
        return any
    }
}

/// JSON rendering of hits (shared with `query -`).
enum HitJSON {
    static func line(_ h: SearchHit, detail d: HitDetail, query: String?) -> String {
        var pairs = [(String, String)]()
        if let q = query { pairs.append(("query", JSONText.quote(q))) }
        pairs += [
            ("rank", String(h.rank)),
            ("id", String(h.id)),
            ("path", JSONText.quote(h.info.path)),
            ("title", JSONText.quote(h.info.title)),
            ("score", FixedPoint.text(h.score, digits: 4)),
            ("snippet", JSONText.quote(d.plainSnippet)),
            ("matches", "[" + d.matches.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ",") + "]"),
        ]
        if let e = h.explanation {
            pairs.append(("explain", "[" + e.terms.map { t in
                JSONText.object([("term", JSONText.quote(t.term)), ("kind", JSONText.quote(t.kind)), ("tf", String(t.tf)),
                                 ("df", String(t.df)), ("idf", FixedPoint.text(t.idf, digits: 4)), ("score", FixedPoint.text(t.score, digits: 4))])
            }.joined(separator: ",") + "]"))
        }
        return JSONText.object(pairs)
    }

    static func explainLines(_ e: Explanation) -> [String] {
        var out = ["dl=\(e.dl) avgdl=\(FixedPoint.text(e.avgdl, digits: 1)) N=\(e.n)"]
        for t in e.terms {
            out.append("\(t.kind) \(t.term): tf=\(t.tf) df=\(t.df) idf=\(FixedPoint.text(t.idf, digits: 4)) → \(FixedPoint.text(t.score, digits: 4))")
        }
        return out
    }
}
