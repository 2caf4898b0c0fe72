import ArgumentParser
import UFIndex

/// The `--index DIR` option shared by every command that uses an index.
struct IndexLocation: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The index directory (default: $UFSEARCH_INDEX, else index/).", valueName: "DIR"))
    var index: String?

    /// The resolved index path.
    var path: String { IndexDirectory.resolve(explicit: index) }
}

/// Runs `body`, turning index and analysis errors into one-line CLI errors (exit 2).
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as IndexError {
        throw CLIError(message: e.description)
    } catch let e as CLIError {
        throw e
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch {
        throw CLIError(message: "\(error)")
    }
}
