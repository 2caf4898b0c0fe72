/// An error a ``ServerBackend`` throws to choose the protocol code the client sees.
///
/// For example a query syntax error with `protocolCode == "BADQUERY"` is sent as `ERR BADQUERY <message>`.
/// Errors that don't conform are sent as `ERR INTERNAL <message>`.
public protocol ServerReportableError: Error {
    /// The code word of the `ERR` status line: upper-case ASCII letters, digits and `_` (others are replaced by `_`).
    var protocolCode: String { get }
    /// The human-readable message of the `ERR` status line (made single-line by the server).
    /// Defaults to `String(describing: self)`.
    var protocolMessage: String { get }
}

extension ServerReportableError {
    /// `String(describing: self)`.
    public var protocolMessage: String { String(describing: self) }
}
