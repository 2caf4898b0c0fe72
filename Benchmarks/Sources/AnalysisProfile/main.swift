// A plain driver for profiling the analysis pipeline outside the benchmark harness
// (valgrind --tool=callgrind, perf), and a per-stage timing breakdown.
//
//   AnalysisProfile CORPUS_DIR MODE [MB] [REPEAT]
//     MODE raw     ICU BreakIterator word count over pre-decoded UTF-16 (the benchmark's ceiling)
//          full    Analyzer.analyze(bytes:) + every word's original byte range (the benchmark's pipeline)
//          stages  times decode / normalise / segment / offsets separately, best of REPEAT, in MB/s
//          sweep   raw ICU word count over pre-decoded UTF-16 on REPEAT threads at once (default: one per
//                  active processor), one pass, wall clock: the ceiling an indexer on that many cores can
//                  approach, measured as the indexer runs (every file once, no warm-up iteration); prints
//                  one JSON line (scripts/bench.py runs it beside `ufsearch index`)
//     MB       corpus bytes to process, in 10^6 bytes of the original files, whole files in order (default 4;
//              sweep: every file)
//     REPEAT   passes over those files (default 1; stages: default 5); sweep: threads
//
// Under callgrind, `--toggle-collect='*runRaw*'` or `--toggle-collect='*runFull*'` leaves file reading and
// setup out of the counts.

import Foundation
import UFAnalysis

func fail(_ s: String) -> Never {
    FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
    exit(2)
}

func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

let args = CommandLine.arguments
guard args.count >= 3 else { fail("usage: AnalysisProfile CORPUS_DIR raw|full|stages [MB] [REPEAT]") }
let dir = args[1], mode = args[2]
let limit = args.count > 3 && !args[3].isEmpty ? Int((Double(args[3]) ?? 4) * 1_000_000)
    : (mode == "sweep" ? Int.max : 4_000_000)
let repeats = args.count > 4 ? Int(args[4]) ?? 1
    : (mode == "stages" ? 5 : mode == "sweep" ? ProcessInfo.processInfo.activeProcessorCount : 1)
guard repeats >= 1 else { fail("REPEAT must be at least 1") }

var paths: [String] = []
if let walker = FileManager.default.enumerator(atPath: dir) {
    while let p = walker.nextObject() as? String { if p.hasSuffix(".txt") { paths.append(p) } }
}
paths.sort()
if mode == "sweep" { sweep() }
var files: [[UInt8]] = []
var bytes = 0
for p in paths where bytes < limit {
    guard let d = FileManager.default.contents(atPath: dir + "/" + p) else { continue }
    files.append([UInt8](d))
    bytes += d.count
}
guard !files.isEmpty else { fail("no .txt files under \(dir)") }

let analyzer = try Analyzer()
let decodedFiles = files.map { f in f.withUnsafeBytes { try! DecodedText.decode($0) } }

@inline(never) func runRaw(_ texts: [DecodedText], _ segmenter: Segmenter) -> Int {
    var n = 0
    for t in texts { n &+= segmenter.countWords(t.utf16) }
    return n
}

@inline(never) func runFull(_ files: [[UInt8]], _ analyzer: Analyzer) -> Int {
    var sum = 0
    for f in files {
        let a = try! analyzer.analyze(bytes: f)
        for w in a.words {
            let r = a.originalRange(w.start, w.end)
            sum &+= r.lowerBound &+ r.upperBound
        }
    }
    return sum
}

let totalBytes = bytes
func mbps(_ ns: UInt64) -> String { String(format: "%8.2f MB/s", Double(totalBytes) * 1e3 / Double(max(ns, 1))) }

switch mode {
case "raw":
    var s = 0
    let t0 = now()
    for _ in 0..<repeats { s &+= runRaw(decodedFiles, analyzer.segmenter) }
    print("raw  \(files.count) files, \(bytes) bytes x \(repeats): \(mbps((now() - t0) / UInt64(repeats)))  [\(s)]")
case "full":
    // Warm the normaliser's per-character cache first, as the benchmark's warm-up iteration does
    // (outside runFull, so callgrind's --toggle-collect leaves it out).
    for f in files { blackHole(try! analyzer.analyze(bytes: f)) }
    var s = 0
    let t0 = now()
    for _ in 0..<repeats { s &+= runFull(files, analyzer) }
    print("full \(files.count) files, \(bytes) bytes x \(repeats): \(mbps((now() - t0) / UInt64(repeats)))  [\(s)]")
case "stages":
    // Warm the normaliser's per-character cache first, as the benchmark's warm-up iteration does.
    for f in files { blackHole(try! analyzer.analyze(bytes: f)) }
    let normalized = decodedFiles.map { analyzer.normalizer.normalize($0) }
    let analyses = files.map { try! analyzer.analyze(bytes: $0) }
    func best(_ body: () -> Int) -> UInt64 {
        var b = UInt64.max
        for _ in 0..<repeats {
            let t0 = now()
            blackHole(body())
            b = min(b, now() - t0)
        }
        return b
    }
    let raw = best { runRaw(decodedFiles, analyzer.segmenter) }
    let decode = best { files.reduce(0) { s, f in s &+ f.withUnsafeBytes { try! DecodedText.decode($0).utf16.count } } }
    let normalize = best { decodedFiles.reduce(0) { $0 &+ analyzer.normalizer.normalize($1).text.count } }
    let segment = best { normalized.reduce(0) { $0 &+ analyzer.segmenter.words($1.text).count } }
    let offsets = best {
        analyses.reduce(0) { s, a in a.words.reduce(s) { s2, w in let r = a.originalRange(w.start, w.end); return s2 &+ r.lowerBound &+ r.upperBound } }
    }
    let full = best { runFull(files, analyzer) }
    print("\(files.count) files, \(bytes) bytes, best of \(repeats)")
    print("  icu raw countWords (decoded text) \(mbps(raw))  \(String(format: "%7.1f", Double(raw) / 1e6)) ms")
    print("  decode                            \(mbps(decode))  \(String(format: "%7.1f", Double(decode) / 1e6)) ms")
    print("  normalise                         \(mbps(normalize))  \(String(format: "%7.1f", Double(normalize) / 1e6)) ms")
    print("  segment words() (normalised text) \(mbps(segment))  \(String(format: "%7.1f", Double(segment) / 1e6)) ms")
    print("  offsets                           \(mbps(offsets))  \(String(format: "%7.1f", Double(offsets) / 1e6)) ms")
    print("  full pipeline                     \(mbps(full))  \(String(format: "%7.1f", Double(full) / 1e6)) ms")
    print(String(format: "  full / raw = %.1f%%", Double(raw) / Double(full) * 100))
default:
    fail("unknown mode \(mode)")
}

@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

/// Process CPU time (user + system, every thread) in seconds.
func processCPU() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

/// Mode `sweep`: every file (up to MB) decoded to UTF-16 first, kept without its bytes; then `repeats` threads,
/// each with its own ICU break iterator, count the words of one share of the files (contiguous, balanced by
/// original bytes) at the same time. Prints one JSON line and exits.
@MainActor func sweep() -> Never {
    var texts: [[UInt16]] = []
    var sizes: [Int] = []
    var total = 0
    for p in paths where total < limit {
        guard let d = FileManager.default.contents(atPath: dir + "/" + p) else { continue }
        // Files that are not text are left out, as the indexer skips them.
        guard let t = try? [UInt8](d).withUnsafeBytes({ try DecodedText.decode($0) }) else { continue }
        texts.append(t.utf16)
        sizes.append(d.count)
        total += d.count
    }
    guard !texts.isEmpty else { fail("no .txt files under \(dir)") }
    let threads = min(repeats, texts.count)
    // Share k holds the files from bounds[k] up to bounds[k + 1].
    var bounds = [0]
    var acc = 0
    for (i, n) in sizes.enumerated() {
        acc += n
        if bounds.count < threads && acc * threads >= total * bounds.count { bounds.append(i + 1) }
    }
    while bounds.count <= threads { bounds.append(texts.count) }
    bounds[threads] = texts.count
    // One break iterator per thread, opened (and ICU's Han engine built) before the clock starts.
    Segmenter.prepareHanEngine()
    let segmenters = (0..<threads).map { _ in try! Segmenter() }
    let job = SweepJob(texts: texts, bounds: bounds, segmenters: segmenters)
    let cpu0 = processCPU()
    let t0 = now()
    DispatchQueue.concurrentPerform(iterations: threads) { k in job.run(k) }
    let wall = Double(now() - t0) / 1e9
    let cpu = processCPU() - cpu0
    print(#"{"mode":"sweep","files":\#(texts.count),"bytes":\#(total),"threads":\#(threads),"#
          + #""wall_s":\#(wall),"cpu_s":\#(cpu),"mb_s":\#(Double(total) / 1e6 / wall),"words":\#(job.words.reduce(0, +))}"#)
    exit(0)
}

/// The shares of a sweep: thread `k` counts the words of texts `bounds[k] ..< bounds[k + 1]` with
/// `segmenters[k]` and writes only slot `k` of `words`, a buffer allocated once, so the threads
/// share no Swift array they mutate.
final class SweepJob: @unchecked Sendable {
    let texts: [[UInt16]]
    let bounds: [Int]
    let segmenters: [Segmenter]
    let words: UnsafeMutableBufferPointer<Int>

    init(texts: [[UInt16]], bounds: [Int], segmenters: [Segmenter]) {
        self.texts = texts
        self.bounds = bounds
        self.segmenters = segmenters
        words = .allocate(capacity: segmenters.count)
        words.initialize(repeating: 0)
    }

    deinit { words.deallocate() }

    func run(_ k: Int) {
        var n = 0
        for i in bounds[k]..<bounds[k + 1] { n &+= segmenters[k].countWords(texts[i]) }
        words[k] = n
    }
}
