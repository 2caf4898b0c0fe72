import ArgumentParser
import FoundationEssentials
import UFIndex
import UFSearch

/// Options shared by the commands that write to the index.
struct WriterOptions: ParsableArguments {
    @Option(name: .long, help: "Analysis threads (default: the number of cores).")
    var threads: Int?

    @Option(name: .customLong("ram-budget"), help: ArgumentHelp("Flush a segment when buffers pass this many MB.", valueName: "MB"))
    var ramBudgetMB: Int = 256

    @Flag(name: .long, help: "Wait for another writer to finish instead of failing.")
    var wait = false

    func validate() throws {
        if let t = threads, t < 1 || t > 256 { throw ValidationError("--threads must be between 1 and 256") }
        if ramBudgetMB < 1 { throw ValidationError("--ram-budget must be at least 1 (MB)") }
    }

    var options: IndexOptions {
        var o = IndexOptions()
        if let t = threads { o.threads = t }
        o.ramBudget = ramBudgetMB << 20
        o.waitForLock = wait
        return o
    }
}

/// Opens a writer with warnings on stderr and, on a terminal, a progress bar.
func makeWriter(_ loc: IndexLocation, _ w: WriterOptions) throws -> IndexWriter {
    let writer = try IndexWriter(path: loc.path, options: w.options)
    writer.onWarning = { path, message in Output.errorLine("\(path): \(message)") }
    if Output.stderrIsTTY {
        writer.onProgress = ProgressBar.make()
    }
    return writer
}

/// Opens a writer (``makeWriter(_:_:)``), runs `change` with it, and prints the summary line
/// after the progress bar; returns the summary.
@discardableResult
func runWrite(_ loc: IndexLocation, _ w: WriterOptions, _ change: (IndexWriter) throws -> ChangeSummary) throws -> ChangeSummary {
    let t0 = Date()
    let s = try change(try makeWriter(loc, w))
    ProgressBar.clear()
    print(summaryLine(s, seconds: Date().timeIntervalSince(t0)))
    return s
}

/// The one-line summary printed after a write.
func summaryLine(_ s: ChangeSummary, seconds: Double) -> String {
    let mb = Double(s.bytesIndexed) / 1e6
    let rate = seconds > 0 ? mb / seconds : 0
    let gen = s.committed ? "committed generation \(s.generation)" : "nothing to commit (generation \(s.generation))"
    return "added \(s.added), replaced \(s.replaced), removed \(s.removed), unchanged \(s.unchanged), skipped \(s.skipped); "
        + "\(FixedPoint.text(mb, digits: 1)) MB in \(FixedPoint.text(seconds, digits: 2)) s (\(FixedPoint.text(rate, digits: 1)) MB/s); " + gen
}

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Bring the index in line with files and folders (default: corpus/).",
        discussion: """
        New files are added, changed files (size, mtime, then content hash) replaced, and \
        documents under the given paths whose files are gone removed. Paths are recorded as \
        they are reached from the command line, as ripgrep prints them. Binary files are \
        skipped with a warning; GB18030 files are decoded.

        Examples:
          ufsearch index
          ufsearch index corpus/ ~/archive/2021
          ufsearch index --index /tmp/idx --threads 2 corpus
          ufsearch index --rebuild corpus/      (start over, e.g. after a format change)
        """
    )
    @OptionGroup var location: IndexLocation
    @OptionGroup var writerOptions: WriterOptions
    @Argument(help: "Files and folders to index.") var paths: [String] = ["corpus"]
    @Flag(help: "Drop every document the index holds and index the paths anew (for an index in an older format).")
    var rebuild = false

    func run() throws {
        try reportingErrors {
            try runWrite(location, writerOptions) { w in rebuild ? try w.rebuild(roots: paths) : try w.sync(roots: paths) }
        }
    }
}

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add files to the index, replacing documents with the same path.",
        discussion: """
        Examples:
          ufsearch add corpus/new-report.txt
          ufsearch add ~/downloads/*.txt
        """
    )
    @OptionGroup var location: IndexLocation
    @OptionGroup var writerOptions: WriterOptions
    @Argument(help: "Files (or folders) to add.") var files: [String]

    func validate() throws { if files.isEmpty { throw ValidationError("name at least one file to add") } }

    func run() throws {
        try reportingErrors {
            try runWrite(location, writerOptions) { try $0.add(paths: files) }
        }
    }
}

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove documents from the index (a folder removes everything under it).",
        discussion: """
        The files themselves are not touched. Exits 1 when no indexed document matched.

        Examples:
          ufsearch rm corpus/old-report.txt
          ufsearch rm corpus/2019
        """
    )
    @OptionGroup var location: IndexLocation
    @OptionGroup var writerOptions: WriterOptions
    @Argument(help: "Indexed paths to remove.") var paths: [String]

    func validate() throws { if paths.isEmpty { throw ValidationError("name at least one path to remove") } }

    func run() throws {
        try reportingErrors {
            let s = try runWrite(location, writerOptions) { try $0.remove(paths: paths) }
            if s.removed == 0 {
                Output.flush()
                Output.errorLine("no indexed document under \(paths.joined(separator: ", "))")
                throw ExitCode(1)
            }
        }
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge all segments into one, dropping deleted documents.",
        discussion: """
        Examples:
          ufsearch merge
          ufsearch merge --index /tmp/idx
        """
    )
    @OptionGroup var location: IndexLocation
    @OptionGroup var writerOptions: WriterOptions

    func run() throws {
        try reportingErrors {
            try runWrite(location, writerOptions) { try $0.forceMerge() }
        }
    }
}

/// A progress bar on stderr: files, MB/s, ETA. Only used on a terminal.
enum ProgressBar {
    nonisolated(unsafe) static var shown = false

    static func make() -> @Sendable (IndexProgress) -> Void {
        let start = Date()
        nonisolated(unsafe) var last = Date.distantPast
        return { p in
            let now = Date()
            guard now.timeIntervalSince(last) > 0.1 || p.filesDone == p.filesTotal else { return }
            last = now
            let el = now.timeIntervalSince(start)
            let rate = el > 0 ? Double(p.bytesDone) / 1e6 / el : 0
            let frac = p.bytesTotal > 0 ? Double(p.bytesDone) / Double(p.bytesTotal) : 1
            let eta = rate > 0 ? Double(p.bytesTotal - p.bytesDone) / 1e6 / rate : 0
            let width = 30
            let filled = Int(frac * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            Sys.writeStandardError("\r[\(bar)] \(p.filesDone)/\(p.filesTotal) files  \(FixedPoint.text(rate, digits: 1)) MB/s  ETA \(FixedPoint.text(eta, digits: 0))s ")
            shown = true
        }
    }

    static func clear() {
        if shown { Sys.writeStandardError("\r\u{1B}[K"); shown = false }
    }
}
