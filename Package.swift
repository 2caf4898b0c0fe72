// swift-tools-version: 6.1
import PackageDescription

/// Hot loops in analysis, indexing and search mutate class-owned buffers; the runtime
/// exclusivity checks cost about 12% of analysis time, so release builds skip them
/// (debug builds and tests keep them).
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

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
                "UFSearch",
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
            ]
        ),
        .testTarget(name: "UFAnalysisTests", dependencies: ["UFAnalysis"], resources: [.copy("Fixtures")]),
        .testTarget(name: "UFIndexTests", dependencies: ["UFIndex", "UFAnalysis"]),
        .testTarget(name: "UFSearchTests", dependencies: ["UFSearch", "UFIndex", "UFAnalysis"], resources: [.copy("Golden")]),
        .testTarget(name: "UFServerTests", dependencies: ["UFServer", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "CLITests", dependencies: [], resources: [.copy("Golden")]),
    ],
    swiftLanguageModes: [.v5]
)
