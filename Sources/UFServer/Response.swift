/// One response before encoding: a status, data lines (not yet dot-stuffed) and whether the connection closes after it.
struct Response: Equatable, Sendable {
    /// The first line of a response.
    enum Status: Equatable, Sendable {
        /// `OK` followed by the info (omitted when empty).
        case ok(String)
        /// `ERR <code> <message>`.
        case error(code: String, message: String)
    }

    /// The status line's content.
    var status: Status
    /// Data lines, each without line terminator; the encoder dot-stuffs them.
    var lines: [String]
    /// Whether the server closes the connection once this response is sent.
    var closesConnection: Bool

    /// A success response.
    static func ok(_ info: String = "", lines: [String] = [], closesConnection: Bool = false) -> Response {
        Response(status: .ok(info), lines: lines, closesConnection: closesConnection)
    }

    /// An error response (never has data lines).
    static func error(_ error: ProtocolError) -> Response {
        let closes: Bool
        switch error {
        case .tooLong, .busy, .idleTimeout: closes = true
        default: closes = false
        }
        return Response(status: .error(code: error.code, message: error.message), lines: [], closesConnection: closes)
    }
}
