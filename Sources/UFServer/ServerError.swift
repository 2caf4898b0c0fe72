/// Why a ``LineServer`` could not start.
public enum ServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A ``ServerConfig`` setting is out of range; the message names it.
    case invalidConfiguration(String)
    /// ``LineServer/start()`` was called on a server that was already started or shut down.
    case alreadyStarted
    /// Listening on the address failed (address in use, unknown host, no permission …).
    case bindFailed(host: String, port: Int, reason: String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return "invalid server configuration: \(message)"
        case .alreadyStarted:
            return "the server was already started"
        case .bindFailed(let host, let port, let reason):
            return "cannot listen on \(host):\(port): \(reason)"
        }
    }
}
