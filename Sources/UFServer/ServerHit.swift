/// One search result as the server reports it.
///
/// The backend fills it in; the server only formats it (TSV or JSON lines, see `docs/PROTOCOL.md`).
public struct ServerHit: Sendable {
    /// 1-based position of the hit in the whole result list (offset included).
    public var rank: Int
    /// The document's numeric id in the index.
    public var id: Int
    /// The document's stored path.
    public var path: String
    /// The document's title.
    public var title: String
    /// The relevance score; higher is better.
    public var score: Double
    /// A short excerpt of the document around the matches; may contain tabs and newlines (the server escapes them).
    public var snippet: String
    /// Where the query matched, as byte ranges `start..<end` (end exclusive) in the original document's UTF-8 text.
    public var matches: [(start: Int, end: Int)]

    /// Creates a hit.
    public init(
        rank: Int,
        id: Int,
        path: String,
        title: String,
        score: Double,
        snippet: String,
        matches: [(start: Int, end: Int)] = []
    ) {
        self.rank = rank
        self.id = id
        self.path = path
        self.title = title
        self.score = score
        self.snippet = snippet
        self.matches = matches
    }
}
