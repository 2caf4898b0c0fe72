// swift-tools-version: 6.1
import PackageDescription

/// No metadata access by mangled name in release builds (see ``fast``).
let directMetadata = ["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"]

/// Hot loops in analysis, indexing and search mutate class-owned buffers; the runtime
/// exclusivity checks cost about 12% of analysis time, so release builds skip them
/// (debug builds and tests keep them).
///
/// Concrete generic types (`[UInt8: Int]`, `[Range<Int>]`, ...) are also reached through metadata
/// accessors rather than by mangled name: instantiating a type from its mangled name checks
/// its generic requirements at run time (`UInt8: Hashable`), and the first such check of each
/// conformance scans every conformance record of the binary (about 5,000; 6,800 when it linked Foundation),
/// tens of µs each in a one-query process. The accessors pass the witness tables directly.
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"] + directMetadata, .when(configuration: .release))]

/// A release `ufsearch` on Linux is one static, position-dependent executable (glibc, ICU,
/// libstdc++, zlib and zstd included): a query is a whole process, and a dynamically linked
/// PIE spent about 2 ms of it in the loader (91,000 relative relocations of the Swift and
/// Foundation metadata, symbol lookups in ICU and libstdc++, 9 libraries mapped) before
/// `main`. Linked this way, there is nothing to relocate or look up. (glibc warns that
/// getaddrinfo and getpwnam_r need its shared NSS modules at run time: `serve` resolves its
/// host through them, as a dynamic binary would.)
/// The code imports FoundationEssentials at most (as swift-argument-parser does), never Foundation:
/// Foundation would bring CoreFoundation and its own copy of ICU and its data, 70 MB of the
/// binary, thousands more conformance records, and about 2 ms more of every process start. Its
/// static libraries are named again because a build without `--static-swift-stdlib` autolinks
/// only `-lFoundationEssentials` (whose shared library would bring the rest); libm is for ICU.
let staticExecutable: LinkerSetting = .unsafeFlags(
    ["-static-executable", "-lFoundationEssentials", "-l_FoundationCShims", "-l_FoundationCollections",
     "-lswiftSynchronization", "-lstdc++", "-lm"],
    .when(platforms: [.linux], configuration: .release))

let package = Package(
    name: "ufsearch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ufsearch", targets: ["ufsearch"]),
        .library(name: "UFAnalysis", targets: ["UFAnalysis"]),
        .library(name: "UFIndex", targets: ["UFIndex"]),
        .library(name: "UFSearch", targets: ["UFSearch"]),
        .library(name: "UFServer", targets: ["UFServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // System ICU, linked through pkg-config. The module map names no ICU header:
        // Swift must never see <unicode/...> (renaming macros, clash with _FoundationICU).
        .systemLibrary(
            name: "CICUSystem",
            path: "Sources/CICUSystem",
            pkgConfig: "icu-uc icu-i18n",
            providers: [.apt(["libicu-dev"])]
        ),
        // The only code that includes ICU headers; its public header uses plain C types.
        .target(name: "CICU", dependencies: ["CICUSystem"], path: "Sources/CICU"),
        // Processor hints (software prefetch) for the indexer's hash probes.
        .target(name: "CHints", path: "Sources/CHints"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "UFAnalysis", dependencies: ["CICU"], swiftSettings: fast),
        .target(
            name: "UFIndex",
            dependencies: ["UFAnalysis", "CHints", "CZlib", "CZstd"],
            swiftSettings: fast
        ),
        .target(
            name: "UFSearch",
            dependencies: ["UFIndex", "UFAnalysis", .product(name: "Collections", package: "swift-collections")],
            swiftSettings: fast
        ),
        .target(
            name: "UFServer",
            dependencies: [
                "UFSearch", "UFIndex",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ]
        ),
        .executableTarget(
            name: "ufsearch",
            dependencies: [
                "UFAnalysis", "UFIndex", "UFSearch", "UFServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.unsafeFlags(directMetadata, .when(configuration: .release))],
            linkerSettings: [staticExecutable]
        ),
        // Helpers shared by the test targets (a seeded random generator).
        .target(name: "UFTestSupport", path: "Tests/UFTestSupport"),
        .testTarget(name: "UFAnalysisTests", dependencies: ["UFAnalysis", "UFTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "UFIndexTests", dependencies: ["UFIndex", "UFAnalysis", "UFTestSupport"]),
        .testTarget(name: "UFSearchTests", dependencies: ["UFSearch", "UFIndex", "UFAnalysis", "UFTestSupport"], resources: [.copy("Golden")]),
        .testTarget(name: "UFServerTests", dependencies: ["UFServer", "UFIndex", "UFTestSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "CLITests", dependencies: [], resources: [.copy("Golden")]),
    ],
    swiftLanguageModes: [.v5]
)
