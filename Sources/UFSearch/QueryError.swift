/// A syntax error in a `ufsearch query` expression.
///
/// `description` is one line meant to be shown to the user as is, e.g.
/// `query error at column 7: unexpected ')': no group is open`.
public struct QueryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, without the position (e.g. `empty group '()'`).
    public let message: String
    /// The 1-based column of the offending place, counted in characters
    /// (extended grapheme clusters, so `宗` or `é` is one column). An error
    /// about something missing at the end of the query points one past the last
    /// character.
    public let column: Int

    /// Creates an error with a message and a 1-based character column.
    public init(message: String, column: Int) {
        self.message = message
        self.column = column
    }

    /// `query error at column N: message`.
    public var description: String { "query error at column \(column): \(message)" }
}
