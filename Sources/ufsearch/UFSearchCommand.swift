import ArgumentParser
import UFAnalysis
import UFIndex
#if canImport(Glibc)
import Glibc
#endif

/// The `ufsearch` command: full-text search for archives of Chinese policy documents.
struct UFSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ufsearch",
        abstract: "Exact, ranked full-text search for archives of Chinese policy documents.",
        discussion: """
        A query's Chinese text matches exactly the documents whose normalised text contains it \
        (NFKC, case folding, Traditional→Simplified), whatever the word segmentation did; \
        results are ranked with BM25 over ICU words.

        Examples:
          ufsearch index corpus
          ufsearch query 宗教中国化
          ufsearch query --json '统战 year:2019..2021'
          ufsearch analyze 宗教中國化
        """,
        version: "ufsearch \(UFSearchCommand.version) (ICU \(Segmenter.icuVersion))",
        subcommands: [IndexCommand.self, AddCommand.self, RemoveCommand.self, QueryCommand.self, ShowCommand.self,
                      AnalyzeCommand.self, StatsCommand.self, CheckCommand.self, MergeCommand.self, ServeCommand.self]
    )
}

extension UFSearchCommand {
    /// This release of ufsearch (`ufsearch --version` prints it with the ICU it links).
    static let version = "0.1.0"
}

/// An error the CLI reports as one line on stderr with its exit code.
struct CLIError: Error {
    /// The one-line message.
    var message: String
    /// The process exit code (2 for errors, as grep and rg).
    var code: Int32 = 2
}

@main
enum Main {
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        Sys.keepFreedMemoryForReuse()
        do {
            if let query = QuerySettings(fastParsing: CommandLine.arguments.dropFirst()) {
                try query.run()
            } else {
                var command = try UFSearchCommand.parseAsRoot()
                try command.run()
            }
        } catch let e as CLIError {
            Output.flush()
            Output.errorLine(e.message)
            exit(e.code)
        } catch let e as ExitCode {
            Output.flush()
            exit(e.rawValue)
        } catch {
            Output.flush()
            let code = UFSearchCommand.exitCode(for: error)
            if code == .success {
                print(UFSearchCommand.fullMessage(for: error))
                exit(0)
            }
            // Usage mistakes (ValidationError, unknown options) and any other error: one line, exit 2.
            let msg = UFSearchCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            Output.errorLine(msg.hasPrefix("Error: ") ? String(msg.dropFirst(7)) : msg)
            exit(2)
        }
        Output.flush()
    }
}

/// Objects kept alive until the process exits: tearing down a snapshot (unmapping every segment
/// file) or an analyser just before exiting only costs time.
enum Lifetime {
    nonisolated(unsafe) private static var kept: [AnyObject] = []

    static func keep(_ objects: AnyObject...) { kept += objects }
}
