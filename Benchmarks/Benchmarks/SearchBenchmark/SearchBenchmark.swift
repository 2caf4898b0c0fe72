// Search hot paths, in process: postings decoding, phrase queries that intersect positions, and
// ranked top-k search over the shared query mix. (Segmentation is AnalysisBenchmark's.)
//
// Setup, outside any measurement, indexes a corpus into a temporary directory (IndexWriter.sync),
// then opens the snapshot and a Searcher; teardown removes the directory. The plugin runs each
// benchmark in its own process, so each builds its own index (about a second for the S corpus).
//
// Environment:
//   UFSEARCH_BENCH_CORPUS   corpus directory (default: bench-work/corpus-S of the repository; made by
//                           scripts/bench-micro or ../shared/bench/make-corpus)
//   UFSEARCH_BENCH_QUERIES  query mix, one query a line (default: ../shared/bench/queries.txt beside the repository)
//   UFSEARCH_BENCH_RESULTS  optional file; each benchmark appends one tab-separated summary line (Recorder.write)
//   UFSEARCH_BENCH_SECONDS  optional, measuring time per benchmark in seconds (default 5)
//
// Each benchmark times its own iterations, in the thread's CPU time and in wall-clock time, and reports
// a throughput to the plugin in operations per second of CPU time: postings for postings-decoding,
// queries for the other two.

import Benchmark
import Foundation
import UFIndex
import UFSearch
import BenchSupport

enum BenchError: Error, CustomStringConvertible {
    case message(String)
    var description: String { if case .message(let m) = self { return m }; return "" }
}

/// The repository root: four levels above this file (Benchmarks/Benchmarks/SearchBenchmark/<file>).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
}()

/// An index of the corpus in a temporary directory, with its snapshot and a searcher.
final class Fixture: @unchecked Sendable {
    let corpus: String
    let indexPath: String
    let snapshot: IndexSnapshot
    let searcher: Searcher
    let queries: [String]

    init() throws {
        let env = ProcessInfo.processInfo.environment
        let fm = FileManager.default
        var dir = env["UFSEARCH_BENCH_CORPUS"] ?? ""
        if dir.isEmpty { dir = repositoryRoot + "/bench-work/corpus-S" }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw BenchError.message("SearchBenchmark: no corpus directory \(dir): set UFSEARCH_BENCH_CORPUS or run scripts/bench-micro, which makes bench-work/corpus-S")
        }
        corpus = URL(fileURLWithPath: dir).standardizedFileURL.resolvingSymlinksInPath().path

        var qpath = env["UFSEARCH_BENCH_QUERIES"] ?? ""
        if qpath.isEmpty { qpath = repositoryRoot + "/../shared/bench/queries.txt" }
        guard let qtext = try? String(contentsOfFile: qpath, encoding: .utf8) else {
            throw BenchError.message("SearchBenchmark: cannot read the query mix \(qpath): set UFSEARCH_BENCH_QUERIES")
        }
        queries = qtext.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !queries.isEmpty else { throw BenchError.message("SearchBenchmark: no queries in \(qpath)") }

        indexPath = fm.temporaryDirectory.appendingPathComponent("ufsearch-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        Self.lock.lock()
        Self.made.append(indexPath)
        Self.lock.unlock()
        let writer = try IndexWriter(path: indexPath)
        defer { writer.close() }
        let summary = try writer.sync(roots: [corpus])
        guard summary.added > 0 else { throw BenchError.message("SearchBenchmark: indexed no documents from \(corpus)") }
        snapshot = try IndexSnapshot.open(indexPath)
        searcher = try Searcher(snapshot: snapshot)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String] = []

    /// Removes the index directories made so far (teardown).
    static func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        for p in made { try? FileManager.default.removeItem(atPath: p) }
        made.removeAll()
    }
}

/// Times each measured iteration (thread CPU time and wall-clock time, ns) and the operations it did;
/// reports operations per CPU second to the plugin and writes a summary line at teardown.
final class Recorder: @unchecked Sendable {
    let name: String
    let unit: String
    let metric: BenchmarkMetric
    private var samples: [(ops: Int, cpu: UInt64, wall: UInt64)] = []
    /// Other work per iteration, for the summary (positions decoded by postings-decoding, matches found).
    var extra = 0
    /// Wall-clock times of single operations (queries), when the benchmark times them one by one.
    private var single: [UInt64] = []
    private var startCPU: UInt64 = 0
    private var startWall: UInt64 = 0

    init(_ name: String, unit: String, metric: BenchmarkMetric) {
        self.name = name
        self.unit = unit
        self.metric = metric
    }

    static func now(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    func reset() { samples.removeAll(); single.removeAll(); extra = 0 }

    func begin() {
        startWall = Self.now(CLOCK_MONOTONIC)
        startCPU = Self.now(CLOCK_THREAD_CPUTIME_ID)
    }

    func end(_ benchmark: Benchmark, ops: Int, singles: [UInt64] = []) {
        let cpu = max(1, Self.now(CLOCK_THREAD_CPUTIME_ID) - startCPU)
        let wall = max(1, Self.now(CLOCK_MONOTONIC) - startWall)
        guard benchmark.currentIteration >= benchmark.configuration.warmupIterations else { return }
        samples.append((ops, cpu, wall))
        single.append(contentsOf: singles)
        benchmark.measurement(metric, Int((Double(ops) * 1e9 / Double(cpu)).rounded()))
    }

    private static func percentile(_ xs: [Double], _ p: Double) -> Double {
        let v = xs.sorted()
        guard !v.isEmpty else { return 0 }
        return v[min(v.count - 1, Int((Double(v.count - 1) * p).rounded()))]
    }

    /// Appends to $UFSEARCH_BENCH_RESULTS, tab-separated: name, unit, iterations, operations per
    /// iteration, then per operation in ns: CPU median, CPU best, wall median; then operations per
    /// second: CPU median, wall median; then single operations' wall-clock p50 and p99 in ns (0 when
    /// not timed one by one); then `extra` (other work per iteration).
    func write() {
        guard !samples.isEmpty else { return }
        let cpuPerOp = samples.map { Double($0.cpu) / Double(max(1, $0.ops)) }
        let wallPerOp = samples.map { Double($0.wall) / Double(max(1, $0.ops)) }
        let singles = single.map { Double($0) }
        let cpuMed = Self.percentile(cpuPerOp, 0.5), wallMed = Self.percentile(wallPerOp, 0.5)
        let line = String(format: "%@\t%@\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\n",
                          name, unit, samples.count, samples[0].ops, cpuMed, cpuPerOp.min() ?? 0, wallMed,
                          1e9 / cpuMed, 1e9 / wallMed, Self.percentile(singles, 0.5), Self.percentile(singles, 0.99), extra)
        ResultsFile.append(line)
    }
}

/// Frequent bigrams of the policy corpus, decoded whole with their positions.
let frequentBigrams = ["中国", "数据", "工作", "发展", "管理", "建设", "社会", "国家"]
/// Phrases of several characters: every bigram must match at consecutive positions.
let phrases = ["个人信息处理者", "宗教中国化", "数据处理活动", "社会主义核心价值观", "中华民族共同体", "新型政商关系"]

let postingsPerSecond = BenchmarkMetric.custom("Postings/s (CPU)", polarity: .prefersLarger, useScalingFactor: false)
let queriesPerSecond = BenchmarkMetric.custom("Queries/s (CPU)", polarity: .prefersLarger, useScalingFactor: false)
let hitsPerSecond = BenchmarkMetric.custom("Hits/s (CPU)", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    let maxSeconds = Int(ProcessInfo.processInfo.environment["UFSEARCH_BENCH_SECONDS"] ?? "") ?? 5
    func configuration(_ metric: BenchmarkMetric) -> Benchmark.Configuration {
        .init(metrics: [.wallClock, metric], units: [metric: .count], warmupIterations: 3,
              maxDuration: .seconds(maxSeconds), maxIterations: 100_000)
    }

    // Whole postings lists of frequent bigrams, every segment, with positions.
    let decoding = Recorder("postings-decoding", unit: "posting", metric: postingsPerSecond)
    Benchmark("postings-decoding", configuration: configuration(postingsPerSecond)) { (benchmark: Benchmark, state: (Fixture, [[UInt8]])) in
        let (fixture, keys) = state
        var buf = [UInt32]()
        buf.reserveCapacity(4096)
        decoding.begin()
        var postings = 0
        var positions = 0
        var check = 0
        for seg in fixture.snapshot.segments {
            for key in keys {
                guard var c = try seg.postings(key) else { continue }
                try c.next()
                while !c.isExhausted {
                    try c.positions(into: &buf)
                    check &+= Int(c.doc) &+ buf.count &+ Int(buf.last ?? 0)
                    postings += 1
                    positions += buf.count
                    try c.next()
                }
            }
        }
        blackHole(check)
        decoding.end(benchmark, ops: postings)
        decoding.extra = positions
    } setup: {
        decoding.reset()
        let keys = frequentBigrams.map { s -> [UInt8] in
            let u = Array(s.unicodeScalars)
            return TermKey.bigram(u[0].value, u[1].value)
        }
        return (try Fixture(), keys)
    } teardown: {
        decoding.write()
        Fixture.removeAll()
    }

    // Phrase queries: all matching documents, positions intersected, no ranking.
    let intersect = Recorder("intersecting-positions", unit: "query", metric: queriesPerSecond)
    Benchmark("intersecting-positions", configuration: configuration(queriesPerSecond)) { (benchmark: Benchmark, fixture: Fixture) in
        var times = [UInt64]()
        times.reserveCapacity(phrases.count)
        intersect.begin()
        var matches = 0
        for q in phrases {
            let t = Recorder.now(CLOCK_MONOTONIC)
            matches &+= try fixture.searcher.matchingIDs(try fixture.searcher.compile(q)).count
            times.append(Recorder.now(CLOCK_MONOTONIC) - t)
        }
        blackHole(matches)
        intersect.end(benchmark, ops: phrases.count, singles: times)
        intersect.extra = matches
    } setup: {
        intersect.reset()
        return try Fixture()
    } teardown: {
        intersect.write()
        Fixture.removeAll()
    }

    // Ranked search, top 10, over the shared query mix.
    let topK = Recorder("top-k", unit: "query", metric: queriesPerSecond)
    Benchmark("top-k", configuration: configuration(queriesPerSecond)) { (benchmark: Benchmark, fixture: Fixture) in
        let options = SearchOptions()
        var times = [UInt64]()
        times.reserveCapacity(fixture.queries.count)
        topK.begin()
        var sum = 0
        var total = 0
        for q in fixture.queries {
            let t = Recorder.now(CLOCK_MONOTONIC)
            let r = try fixture.searcher.search(q, options: options)
            sum &+= r.hits.count
            total &+= r.total
            times.append(Recorder.now(CLOCK_MONOTONIC) - t)
        }
        blackHole(sum &+ total)
        topK.end(benchmark, ops: fixture.queries.count, singles: times)
        topK.extra = total
    } setup: {
        topK.reset()
        return try Fixture()
    } teardown: {
        topK.write()
        Fixture.removeAll()
    }

    // The server's hit lines: for the top 10 of each query of the mix (searched in setup), one snippet
    // per hit as a TSV response makes it (`detail(..., snippets: 1, allMatches: false, occurrences:)`:
    // only as much of a long document as settles the snippet is decompressed and normalised).
    let hitLines = Recorder("hit-lines", unit: "hit", metric: hitsPerSecond)
    Benchmark("hit-lines", configuration: configuration(hitsPerSecond)) { (benchmark: Benchmark, state: (Fixture, [(QueryPlan, [SearchHit])])) in
        let (fixture, pages) = state
        var times = [UInt64]()
        times.reserveCapacity(pages.count)
        hitLines.begin()
        var hits = 0
        var bytes = 0
        for (plan, page) in pages {
            let t = Recorder.now(CLOCK_MONOTONIC)
            for h in page {
                let d = try fixture.searcher.detail(id: h.id, plan: plan, snippets: 1, allMatches: false, occurrences: h.occurrences)
                bytes &+= d.plainSnippet.utf8.count
                hits += 1
            }
            times.append(Recorder.now(CLOCK_MONOTONIC) - t)
        }
        blackHole(bytes)
        hitLines.end(benchmark, ops: hits, singles: times)
        hitLines.extra = bytes
    } setup: {
        hitLines.reset()
        let fixture = try Fixture()
        var options = SearchOptions()
        options.exactTotal = false
        let pages = try fixture.queries.map { q -> (QueryPlan, [SearchHit]) in
            let r = try fixture.searcher.search(q, options: options)
            return (r.plan, r.hits)
        }
        return (fixture, pages)
    } teardown: {
        hitLines.write()
        Fixture.removeAll()
    }
}
