/// What the line server needs from a search engine. The CLI implements it with the real engine; tests use a mock.
///
/// Every method may be called concurrently from several worker threads (one request per thread), and `refresh()`
/// concurrently with them. Methods may block (they never run on an event loop thread) and may throw any error:
/// an error conforming to ``ServerReportableError`` is reported with its own protocol code (`ERR BADQUERY …`),
/// any other error as `ERR INTERNAL …`. A thrown error only fails that one request.
public protocol ServerBackend: Sendable {
    /// Runs `query` (the CLI's query language) against one consistent snapshot of the index.
    ///
    /// - Parameters:
    ///   - query: The query text exactly as the client sent it (valid UTF-8, never empty).
    ///   - limit: How many hits to return at most, `0...1000`.
    ///   - offset: How many of the best hits to skip first, `0...1_000_000_000`.
    /// - Returns: The total number of matches and the hits `offset ..< offset + limit`, best first.
    func search(_ query: String, limit: Int, offset: Int) throws -> ServerPage
    /// The same, saying whether the hits' `matches` are wanted (JSON) or not (TSV shows none), so a
    /// backend may skip finding every match in each hit's document. Defaults to `search(_:limit:offset:)`.
    func search(_ query: String, limit: Int, offset: Int, withMatches: Bool) throws -> ServerPage
    /// Counts the documents matching `query`.
    func count(_ query: String) throws -> Int
    /// A stored document by path or numeric id; nil when none.
    func document(_ ref: String) throws -> (path: String, title: String, text: String)?
    /// Facts about the index (document count, generation, sizes …) as ordered key/value pairs.
    func stats() throws -> [(key: String, value: String)]
    /// Called about every 200 ms from a background timer: reopen the index if another process committed a new generation. Must not disturb in-flight requests.
    func refresh() throws
}

extension ServerBackend {
    /// Backends that always find matches need not implement the variant.
    public func search(_ query: String, limit: Int, offset: Int, withMatches: Bool) throws -> ServerPage {
        try search(query, limit: limit, offset: offset)
    }
}
