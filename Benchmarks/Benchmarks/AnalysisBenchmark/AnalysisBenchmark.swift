// Analysis throughput: the full UFAnalysis pipeline against raw ICU word segmentation,
// measured in the same run over the same corpus bytes.
//
// Environment:
//   UFSEARCH_BENCH_CORPUS   directory made by ../shared/bench/make-corpus (required; *.txt below it)
//   UFSEARCH_BENCH_RESULTS  optional file; each benchmark appends one tab-separated summary line
//                           (see Recorder.write)
//   UFSEARCH_BENCH_SECONDS  optional, measuring time per benchmark in seconds (default 10)
//   UFSEARCH_BENCH_BATCH_MB optional, bytes of corpus per iteration in MB (default 4)
//
// MB is 10^6 bytes of the original files (UTF-8 on disk) for every benchmark, so the MB/s figures
// of the benchmarks compare time on the same text. The metric "Throughput (kB/s CPU)" in the table
// is 1000 x MB/s per iteration, on the thread's CPU time (see Recorder); the plugin's own throughput
// metric, whole iterations per second rounded to an integer, is too coarse for iterations of 4 MB and
// is left out.

import Benchmark
import Foundation
import UFAnalysis
import BenchSupport

/// One iteration's worth of corpus: whole files, taken in order, cycling round the corpus.
struct Batch {
    var raw: [[UInt8]]
    var utf16: [[UInt16]]
    var bytes: Int
}

/// The corpus, loaded once per process, outside any measurement.
final class Corpus: @unchecked Sendable {
    let batches: [Batch]
    let directory: String
    let fileCount: Int
    let totalBytes: Int

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cached: Corpus?

    static func shared() throws -> Corpus {
        lock.lock()
        defer { lock.unlock() }
        if let c = cached { return c }
        let c = try Corpus()
        cached = c
        return c
    }

    private init() throws {
        let env = ProcessInfo.processInfo.environment
        guard let dir = env["UFSEARCH_BENCH_CORPUS"], !dir.isEmpty else {
            throw BenchError.message("UFSEARCH_BENCH_CORPUS is not set: run scripts/bench-analysis, which makes the corpus")
        }
        let batchBytes = Int((Double(env["UFSEARCH_BENCH_BATCH_MB"] ?? "") ?? 4) * 1_000_000)
        directory = dir
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: dir) else { throw BenchError.message("cannot read \(dir)") }
        var paths: [String] = []
        while let p = walker.nextObject() as? String {
            if p.hasSuffix(".txt") { paths.append(p) }
        }
        paths.sort()
        var files: [(raw: [UInt8], utf16: [UInt16])] = []
        var total = 0
        for p in paths {
            guard let data = fm.contents(atPath: dir + "/" + p) else { throw BenchError.message("cannot read \(p)") }
            let raw = [UInt8](data)
            // Decoded outside any measurement, for the raw ICU benchmark. Files that are not text
            // (the analyser refuses them) are left out of both benchmarks.
            guard let decoded = try? raw.withUnsafeBytes({ try DecodedText.decode($0) }) else { continue }
            files.append((raw, decoded.utf16))
            total += raw.count
        }
        guard !files.isEmpty, total > 0 else { throw BenchError.message("no .txt files under \(dir)") }
        fileCount = files.count
        totalBytes = total
        // As many batches as the corpus fills (at least one); each takes files in order until it
        // holds batchBytes, the last one wrapping round to the first files.
        let count = max(1, total / max(1, batchBytes))
        var out: [Batch] = []
        var next = 0
        for _ in 0..<count {
            var b = Batch(raw: [], utf16: [], bytes: 0)
            while b.bytes < batchBytes {
                let f = files[next % files.count]
                b.raw.append(f.raw)
                b.utf16.append(f.utf16)
                b.bytes += f.raw.count
                next += 1
            }
            out.append(b)
        }
        batches = out
    }
}

enum BenchError: Error, CustomStringConvertible {
    case message(String)
    var description: String { if case .message(let m) = self { return m }; return "" }
}

/// Times each measured iteration itself, in CPU time of the benchmark's thread and in wall-clock
/// time (nanoseconds), so that the MB/s figures are exact rather than the plugin's integer
/// iterations per second. The work is single-threaded, so on an idle machine the two agree; CPU
/// time is what other processes on a shared machine disturb least, and the summary uses it.
final class Recorder: @unchecked Sendable {
    let name: String
    private var samples: [(batch: Int, bytes: Int, cpu: UInt64, wall: UInt64)] = []
    private var startCPU: UInt64 = 0
    private var startWall: UInt64 = 0

    init(_ name: String) { self.name = name }

    static func now(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    func reset() { samples.removeAll() }

    func begin() {
        startWall = Self.now(CLOCK_MONOTONIC)
        startCPU = Self.now(CLOCK_THREAD_CPUTIME_ID)
    }

    /// Ends one iteration over batch `batch`; records it unless it is a warm-up, and reports kB/s
    /// (CPU time) to the plugin.
    func end(_ benchmark: Benchmark, batch: Int, bytes: Int) {
        let cpu = max(1, Self.now(CLOCK_THREAD_CPUTIME_ID) - startCPU)
        let wall = max(1, Self.now(CLOCK_MONOTONIC) - startWall)
        guard benchmark.currentIteration >= benchmark.configuration.warmupIterations else { return }
        samples.append((batch, bytes, cpu, wall))
        benchmark.measurement(kBps, Int((Double(bytes) * 1e6 / Double(cpu)).rounded()))
    }

    private static func median(_ xs: [Double]) -> Double {
        let v = xs.sorted()
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }

    /// Appends the summary line to $UFSEARCH_BENCH_RESULTS, if set, tab-separated: name,
    /// iterations, bytes per iteration, batches seen, then MB/s on CPU time: best pass (every batch
    /// at its fastest iteration), median, aggregate (all bytes over all time); then MB/s on wall-clock
    /// time: best pass, median.
    func write() {
        guard !samples.isEmpty else { return }
        func mbps(_ bytes: Int, _ ns: UInt64) -> Double { Double(bytes) * 1e3 / Double(ns) }
        func bestPass(_ ns: KeyPath<(batch: Int, bytes: Int, cpu: UInt64, wall: UInt64), UInt64>) -> (Double, Int) {
            var fastest: [Int: (bytes: Int, ns: UInt64)] = [:]
            for s in samples where fastest[s.batch].map({ s[keyPath: ns] < $0.ns }) ?? true {
                fastest[s.batch] = (s.bytes, s[keyPath: ns])
            }
            return (mbps(fastest.values.reduce(0) { $0 + $1.bytes }, fastest.values.reduce(UInt64(0)) { $0 + $1.ns }), fastest.count)
        }
        let (cpuBest, batches) = bestPass(\.cpu)
        let (wallBest, _) = bestPass(\.wall)
        let cpuMedian = Self.median(samples.map { mbps($0.bytes, $0.cpu) })
        let wallMedian = Self.median(samples.map { mbps($0.bytes, $0.wall) })
        let totalBytes = samples.reduce(0) { $0 + $1.bytes }
        let cpuAggregate = mbps(totalBytes, samples.reduce(UInt64(0)) { $0 + $1.cpu })
        let line = String(format: "%@\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\n", name, samples.count,
                          totalBytes / samples.count, batches, cpuBest, cpuMedian, cpuAggregate, wallBest, wallMedian)
        ResultsFile.append(line)
    }
}

let kBps = BenchmarkMetric.custom("Throughput (kB/s CPU)", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    let maxSeconds = Int(ProcessInfo.processInfo.environment["UFSEARCH_BENCH_SECONDS"] ?? "") ?? 10
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, kBps],
        units: [kBps: .count],
        warmupIterations: 1,
        maxDuration: .seconds(maxSeconds),
        maxIterations: 1_000
    )

    // The ceiling: ICU's word BreakIterator walked over text already decoded to UTF-16.
    let raw = Recorder("icu-raw-segmentation")
    Benchmark("icu-raw-segmentation") { (benchmark: Benchmark, state: (Corpus, Segmenter)) in
        let (corpus, segmenter) = state
        let index = benchmark.currentIteration % corpus.batches.count
        let batch = corpus.batches[index]
        raw.begin()
        var words = 0
        for text in batch.utf16 { words &+= segmenter.countWords(text) }
        blackHole(words)
        raw.end(benchmark, batch: index, bytes: batch.bytes)
    } setup: {
        raw.reset()
        return (try Corpus.shared(), try Segmenter(locale: "zh"))
    } teardown: {
        raw.write()
    }

    // The full pipeline from the files' bytes: decode, normalise, segment, and the original byte
    // range of every word (what the indexer stores for highlighting).
    let full = Recorder("full-pipeline")
    Benchmark("full-pipeline") { (benchmark: Benchmark, state: (Corpus, Analyzer)) in
        let (corpus, analyzer) = state
        let index = benchmark.currentIteration % corpus.batches.count
        let batch = corpus.batches[index]
        full.begin()
        var sum = 0
        for file in batch.raw {
            let analysis = try! analyzer.analyze(bytes: file)
            for w in analysis.words {
                let r = analysis.originalRange(w.start, w.end)
                sum &+= r.lowerBound &+ r.upperBound
            }
        }
        blackHole(sum)
        full.end(benchmark, batch: index, bytes: batch.bytes)
    } setup: {
        full.reset()
        return (try Corpus.shared(), try Analyzer())
    } teardown: {
        full.write()
    }

    // For information: the same plus the display tokens (a String per word), as `ufsearch analyze`.
    let tokens = Recorder("full-pipeline-tokens")
    Benchmark("full-pipeline-tokens") { (benchmark: Benchmark, state: (Corpus, Analyzer)) in
        let (corpus, analyzer) = state
        let index = benchmark.currentIteration % corpus.batches.count
        let batch = corpus.batches[index]
        tokens.begin()
        var sum = 0
        for file in batch.raw {
            let analysis = try! analyzer.analyze(bytes: file)
            for t in analysis.tokens() { sum &+= t.end &+ t.text.utf8.count }
        }
        blackHole(sum)
        tokens.end(benchmark, batch: index, bytes: batch.bytes)
    } setup: {
        tokens.reset()
        return (try Corpus.shared(), try Analyzer())
    } teardown: {
        tokens.write()
    }
}
