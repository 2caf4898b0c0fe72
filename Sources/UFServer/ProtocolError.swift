/// A request that can't be answered normally, with the `ERR` code and message the client gets.
enum ProtocolError: Error, Equatable, Sendable {
    /// The line was empty or held only spaces and tabs.
    case empty
    /// The line is not valid UTF-8.
    case badUTF8
    /// The first word is no command.
    case unknownCommand(String)
    /// An option or argument is missing, malformed or out of range; the message says which.
    case badArgument(String)
    /// The line is longer than the limit (bytes); the server closes the connection after this one.
    case tooLong(limit: Int)
    /// GET found no document for the reference.
    case notFound(String)
    /// The server already serves its maximum of connections; sent on connect, then the connection closes.
    case busy
    /// The connection was idle too long (seconds); sent unprompted, then the connection closes.
    case idleTimeout(Double)
    /// The server is shutting down and can't run the request.
    case shuttingDown
    /// The backend threw; `code` is its ``ServerReportableError/protocolCode`` or `INTERNAL`.
    case backend(code: String, message: String)

    /// The code word of the `ERR` line.
    var code: String {
        switch self {
        case .empty: return "EMPTY"
        case .badUTF8: return "BADUTF8"
        case .unknownCommand: return "UNKNOWN"
        case .badArgument: return "BADARG"
        case .tooLong: return "TOOLONG"
        case .notFound: return "NOTFOUND"
        case .busy: return "BUSY"
        case .idleTimeout: return "TIMEOUT"
        case .shuttingDown: return "SHUTDOWN"
        case .backend(let code, _): return code
        }
    }

    /// The human-readable rest of the `ERR` line.
    var message: String {
        switch self {
        case .empty:
            return "empty request (try HELP)"
        case .badUTF8:
            return "request is not valid UTF-8"
        case .unknownCommand(let word):
            return "unknown command '\(word)' (try HELP)"
        case .badArgument(let message):
            return message
        case .tooLong(let limit):
            return "request line longer than \(limit) bytes; closing"
        case .notFound(let ref):
            return "no document '\(ref)'"
        case .busy:
            return "too many connections"
        case .idleTimeout(let seconds):
            let shown = seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
            return "idle for \(shown) s; closing"
        case .shuttingDown:
            return "server is shutting down"
        case .backend(_, let message):
            return message
        }
    }

    /// Maps an error thrown by a backend: a ``ServerReportableError`` keeps its (sanitised) code, anything else is
    /// `INTERNAL`.
    static func fromBackend(_ error: any Error) -> ProtocolError {
        if let reportable = error as? any ServerReportableError {
            return .backend(code: sanitizedCode(reportable.protocolCode), message: reportable.protocolMessage)
        }
        return .backend(code: "INTERNAL", message: String(describing: error))
    }

    /// Upper-cases `code` and keeps only `A-Z`, `0-9` and `_` (others become `_`), at most 32 characters;
    /// `INTERNAL` when nothing is left.
    static func sanitizedCode(_ code: String) -> String {
        var result = ""
        for scalar in code.unicodeScalars.prefix(32) {
            switch scalar {
            case "A"..."Z", "0"..."9", "_": result.unicodeScalars.append(scalar)
            case "a"..."z": result += String(scalar).uppercased()
            default: result += "_"
            }
        }
        return result.isEmpty ? "INTERNAL" : result
    }
}
