/// One page of search results: the total number of matching documents and the hits of the requested window.
public struct ServerPage: Sendable {
    /// How many documents match the query in all (not just on this page); a lower bound when
    /// `totalIsExact` is false.
    public var total: Int
    /// False when the total is only a lower bound (top-k pruning skipped documents past the
    /// first 1,000 matches); the status line then shows `<total>+`.
    public var totalIsExact: Bool
    /// The hits of the requested window (`offset ..< offset + limit`), best first.
    public var hits: [ServerHit]

    /// Creates a page.
    public init(total: Int, hits: [ServerHit], totalIsExact: Bool = true) {
        self.total = total
        self.totalIsExact = totalIsExact
        self.hits = hits
    }
}
