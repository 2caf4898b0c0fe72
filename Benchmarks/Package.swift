// swift-tools-version: 6.1
// Benchmarks of ufsearch, kept in their own package so the root package never depends on
// ordo-one/benchmark. Run through `scripts/bench-analysis` (it makes the corpus first), or:
//   UFSEARCH_BENCH_CORPUS=/path/to/corpus swift package --package-path Benchmarks benchmark --target AnalysisBenchmark
// and `scripts/bench-micro` for SearchBenchmark (search hot paths).
import PackageDescription

let package = Package(
    name: "ufsearch-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "ufsearch", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // What the benchmark targets share (the results file the scripts read).
        .target(name: "BenchSupport", path: "Sources/BenchSupport"),
        // The benchmark plugin looks for sources in Benchmarks/<TargetName>/ of this package.
        .executableTarget(
            name: "AnalysisBenchmark",
            dependencies: [
                .product(name: "UFAnalysis", package: "ufsearch"),
                .product(name: "Benchmark", package: "benchmark"),
                "BenchSupport",
            ],
            path: "Benchmarks/AnalysisBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Search hot paths over an index of the corpus built in setup: postings decoding, positional
        // intersection (phrases), ranked top-k. Run through `scripts/bench-micro`.
        .executableTarget(
            name: "SearchBenchmark",
            dependencies: [
                .product(name: "UFIndex", package: "ufsearch"),
                .product(name: "UFSearch", package: "ufsearch"),
                .product(name: "UFAnalysis", package: "ufsearch"),
                .product(name: "Benchmark", package: "benchmark"),
                "BenchSupport",
            ],
            path: "Benchmarks/SearchBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // A plain driver of the same work for profilers (callgrind, perf) and a per-stage breakdown;
        // not a benchmark target (those live under Benchmarks/).
        .executableTarget(
            name: "AnalysisProfile",
            dependencies: [.product(name: "UFAnalysis", package: "ufsearch")],
            path: "Sources/AnalysisProfile"
        ),
    ]
)
