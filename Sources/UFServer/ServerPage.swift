/// One page of search results: the total number of matching documents and the hits of the requested window.
public struct ServerPage: Sendable {
    /// How many documents match the query in all (not just on this page).
    public var total: Int
    /// The hits of the requested window (`offset ..< offset + limit`), best first.
    public var hits: [ServerHit]

    /// Creates a page.
    public init(total: Int, hits: [ServerHit]) {
        self.total = total
        self.hits = hits
    }
}
