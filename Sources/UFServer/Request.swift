/// One parsed request line (see `docs/PROTOCOL.md`).
enum Request: Equatable, Sendable {
    /// How a response presents its data lines.
    enum Format: Equatable, Sendable {
        /// Tab-separated fields (QUERY) or raw text lines (GET).
        case plain
        /// One JSON object per line.
        case json
    }

    /// `QUERY [limit=N] [offset=N] [format=tsv|json] <text>`.
    case query(text: String, limit: Int, offset: Int, format: Format)
    /// `COUNT <text>`.
    case count(text: String)
    /// `GET [format=text|json] <path-or-id>`.
    case get(ref: String, format: Format)
    /// `STATS`.
    case stats
    /// `PING`.
    case ping
    /// `HELP`.
    case help
    /// `QUIT`.
    case quit

    /// Whether answering calls the backend (and so runs on the worker pool rather than the event loop).
    var needsBackend: Bool {
        switch self {
        case .query, .count, .get, .stats: return true
        case .ping, .help, .quit: return false
        }
    }
}
