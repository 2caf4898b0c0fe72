import Foundation

/// The results file the benchmark scripts read: `$UFSEARCH_BENCH_RESULTS`, one tab-separated
/// summary line per benchmark (scripts/bench-analysis, scripts/bench-micro).
public enum ResultsFile {
    /// Appends `line` to `$UFSEARCH_BENCH_RESULTS` (created when missing); does nothing when the
    /// variable is unset or empty.
    public static func append(_ line: String) {
        guard let path = ProcessInfo.processInfo.environment["UFSEARCH_BENCH_RESULTS"], !path.isEmpty else { return }
        if let h = FileHandle(forWritingAtPath: path) {
            h.seekToEndOfFile()
            h.write(line.data(using: .utf8)!)
            h.closeFile()
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: line.data(using: .utf8))
        }
    }
}
