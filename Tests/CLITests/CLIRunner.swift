import Foundation
import Testing

/// Runs the built `ufsearch` binary as a child process and captures everything it does.
///
/// The binary is `$UFSEARCH_BIN` when set, else `<repo>/.build/debug/ufsearch` (the repository root
/// is found from this file's `#filePath`). Build it first: `swift build --product ufsearch`
/// (`swift build --build-tests` and `scripts/test` build it too).
enum CLI {
    /// The repository root: three levels above this file (`Tests/CLITests/CLIRunner.swift`).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/CLITests/Golden` in the source tree (read, and written when regenerating).
    static let goldenDirectory: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden")

    /// The fixture documents, `Golden/docs`.
    static let docsDirectory: URL = goldenDirectory.appendingPathComponent("docs")

    /// The test process's environment, read once: `ProcessInfo.environment` read from many test
    /// threads at once crashed in Foundation (a data race inside its getter, seen on Linux).
    static let environment = ProcessInfo.processInfo.environment

    /// The binary under test.
    static var binary: String {
        if let b = environment["UFSEARCH_BIN"], !b.isEmpty {
            return b.hasPrefix("/") ? b : repoRoot.appendingPathComponent(b).path
        }
        return repoRoot.appendingPathComponent(".build/debug/ufsearch").path
    }

    /// True when goldens are to be rewritten (`UFSEARCH_UPDATE_GOLDEN=1`).
    static var updateGolden: Bool { environment["UFSEARCH_UPDATE_GOLDEN"] == "1" }

    /// What one run did.
    struct Result: CustomStringConvertible {
        var stdout: [UInt8]
        var stderr: [UInt8]
        /// The exit status, or 128 + signal number when a signal ended the process.
        var code: Int32
        /// True when a signal ended the process.
        var signaled: Bool

        var out: String { String(decoding: stdout, as: UTF8.self) }
        var err: String { String(decoding: stderr, as: UTF8.self) }
        /// Non-empty stdout lines.
        var lines: [String] { out.split(separator: "\n").map(String.init) }
        /// Non-empty stderr lines.
        var errLines: [String] { err.split(separator: "\n").map(String.init) }

        var description: String { "exit \(code)\(signaled ? " (signal)" : "")\nstdout:\n\(out)\nstderr:\n\(err)" }
    }

    /// An error running the binary itself (not the binary's own failure).
    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the binary with `args` in `cwd`, feeding `stdin` (nothing: /dev/null). The child gets a
    /// small fixed environment (PATH, HOME, LANG, TZ) plus `env`; `UFSEARCH_INDEX` is only set
    /// when `env` sets it.
    static func run(_ args: [String], cwd: URL, stdin: [UInt8]? = nil, env: [String: String] = [:]) throws -> Result {
        let bin = binary
        guard FileManager.default.isExecutableFile(atPath: bin) else {
            throw LaunchError(description: "no ufsearch binary at \(bin): run `swift build --product ufsearch` first, or set UFSEARCH_BIN")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ufsearch-cli-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Files rather than pipes: no deadlock on large outputs, no reader threads.
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        let inURL = scratch.appendingPathComponent("stdin")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: Data(stdin ?? []))
        let outFH = try FileHandle(forWritingTo: outURL)
        let errFH = try FileHandle(forWritingTo: errURL)
        let inFH = try FileHandle(forReadingFrom: inURL)
        defer { try? outFH.close(); try? errFH.close(); try? inFH.close() }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        p.currentDirectoryURL = cwd
        var environment = [
            "PATH": CLI.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": CLI.environment["HOME"] ?? "/tmp",
            "LANG": "C.UTF-8",
            "TZ": "UTC",
        ]
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        p.standardInput = inFH
        p.standardOutput = outFH
        p.standardError = errFH
        try p.run()
        p.waitUntilExit()
        let signaled = p.terminationReason == .uncaughtSignal
        let code = signaled ? 128 + p.terminationStatus : p.terminationStatus
        let out = [UInt8]((try? Data(contentsOf: outURL)) ?? Data())
        let err = [UInt8]((try? Data(contentsOf: errURL)) ?? Data())
        return Result(stdout: out, stderr: err, code: code, signaled: signaled)
    }

    /// A fresh temporary directory (removed by the caller with ``removeTemp(_:)``).
    static func makeTemp(_ tag: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ufsearch-cli-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func removeTemp(_ url: URL) { try? FileManager.default.removeItem(at: url) }

    /// A temporary directory holding a copy of the fixture documents as `docs/`, so that every path
    /// the binary prints is relative (`docs/...`) and the same on every machine.
    static func makeWorkspace(_ tag: String) throws -> URL {
        let dir = try makeTemp(tag)
        try FileManager.default.copyItem(at: docsDirectory, to: dir.appendingPathComponent("docs"))
        return dir
    }

    /// The arguments that build the fixture index: one thread, so document ids and segment layout
    /// are the same on every run.
    static let indexArgs = ["index", "--index", "idx", "--threads", "1", "docs"]
}

/// The shared read-only fixture: the documents copied to a temporary directory and indexed once
/// into `idx/` there. Tests that write make their own workspace.
final class Fixture: @unchecked Sendable {
    let dir: URL
    let indexRun: CLI.Result

    private init() throws {
        dir = try CLI.makeWorkspace("fixture")
        indexRun = try CLI.run(CLI.indexArgs, cwd: dir)
        guard indexRun.code == 0 else {
            throw CLI.LaunchError(description: "building the fixture index failed: \(indexRun)")
        }
    }

    private static let made: Swift.Result<Fixture, Error> = Swift.Result { try Fixture() }

    /// The fixture (built on first use; its temporary directory is removed when the process exits).
    static func shared() throws -> Fixture {
        _ = registerCleanup
        return try made.get()
    }

    /// Registered once (a static `let` is initialised once, whichever thread comes first; tests
    /// call `shared()` from many at once, and a shared `var` written by each of them was a data race
    /// that freed one string twice).
    private static let registerCleanup: Void = {
        atexit {
            if case .success(let f) = Fixture.made { try? FileManager.default.removeItem(at: f.dir) }
        }
    }()

    /// Runs the binary in the fixture directory with `UFSEARCH_INDEX=idx` (unless `env` says otherwise).
    func run(_ args: [String], stdin: [UInt8]? = nil, env: [String: String] = [:]) throws -> CLI.Result {
        var e = ["UFSEARCH_INDEX": "idx"]
        for (k, v) in env { e[k] = v }
        return try CLI.run(args, cwd: dir, stdin: stdin, env: e)
    }
}
