import UFServer

/// Minimal JSON encoding with a fixed key order, for line-oriented output that scripts
/// and golden tests can rely on.
enum JSONText {
    /// A JSON string literal for `s` (the server's escaping, so both speak the same JSON).
    static func quote(_ s: String) -> String { WireFormat.jsonString(s) }

    /// An object from ordered key/raw-JSON-value pairs.
    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
