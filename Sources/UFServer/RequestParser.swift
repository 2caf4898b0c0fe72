/// Turns one request line (bytes, terminator already removed) into a ``Request`` or a ``ProtocolError``.
///
/// Pure and total: any byte sequence gives a result, nothing traps.
enum RequestParser {
    /// Hits returned by QUERY without `limit=`.
    static let defaultLimit = 10
    /// Largest `limit=` accepted.
    static let maxLimit = 1000
    /// Largest `offset=` accepted.
    static let maxOffset = 1_000_000_000
    /// Longest command word echoed back in `ERR UNKNOWN`.
    static let maxEchoedWord = 40

    /// Parses one line.
    /// - Parameter line: The request bytes without `\n`; one trailing `\r` is ignored.
    static func parse(_ line: [UInt8]) -> Result<Request, ProtocolError> {
        var bytes = line[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        guard let text = validUTF8(bytes) else { return .failure(.badUTF8) }
        return parse(text)
    }

    /// Parses one line already decoded.
    static func parse(_ line: String) -> Result<Request, ProtocolError> {
        let trimmed = trimBlanks(line[...])
        guard !trimmed.isEmpty else { return .failure(.empty) }
        let wordEnd = trimmed.firstIndex(where: isBlank) ?? trimmed.endIndex
        let word = trimmed[trimmed.startIndex..<wordEnd]
        let rest = trimBlanks(trimmed[wordEnd...])
        do {
            return .success(try request(command: String(word), rest: rest))
        } catch {
            return .failure(error)
        }
    }

    private static func request(command word: String, rest: Substring) throws(ProtocolError) -> Request {
        switch word.uppercased() {
        case "QUERY":
            let (options, text) = try splitOptions(rest, command: "QUERY", allowed: ["limit", "offset", "format"])
            guard !text.isEmpty else { throw .badArgument("QUERY needs query text") }
            let limit = try options["limit"].map { v throws(ProtocolError) in try number(v, name: "limit", max: maxLimit) }
            let offset = try options["offset"].map { v throws(ProtocolError) in
                try number(v, name: "offset", max: maxOffset)
            }
            let format = try options["format"].map { v throws(ProtocolError) in
                try formatValue(v, plainName: "tsv")
            }
            return .query(
                text: String(text), limit: limit ?? defaultLimit, offset: offset ?? 0, format: format ?? .plain)
        case "COUNT":
            guard !rest.isEmpty else { throw .badArgument("COUNT needs query text") }
            return .count(text: String(rest))
        case "GET":
            let (options, ref) = try splitOptions(rest, command: "GET", allowed: ["format"])
            guard !ref.isEmpty else { throw .badArgument("GET needs a document path or id") }
            let format = try options["format"].map { v throws(ProtocolError) in try formatValue(v, plainName: "text") }
            return .get(ref: String(ref), format: format ?? .plain)
        case "STATS": try noArguments("STATS", rest); return .stats
        case "PING": try noArguments("PING", rest); return .ping
        case "HELP": return .help
        case "QUIT": try noArguments("QUIT", rest); return .quit
        default:
            throw .unknownCommand(String(word.prefix(maxEchoedWord)))
        }
    }

    private static func noArguments(_ command: String, _ rest: Substring) throws(ProtocolError) {
        if !rest.isEmpty { throw .badArgument("\(command) takes no arguments") }
    }

    /// Splits leading `name=value` options off `rest`. Options end at the first word that isn't `name=value`
    /// (with `name` made of ASCII letters), or after a `--` word. An unknown or repeated name is an error.
    private static func splitOptions(
        _ rest: Substring, command: String, allowed: [String]
    ) throws(ProtocolError) -> (options: [String: String], text: Substring) {
        var options: [String: String] = [:]
        var remaining = rest
        while !remaining.isEmpty {
            let end = remaining.firstIndex(where: isBlank) ?? remaining.endIndex
            let token = remaining[remaining.startIndex..<end]
            if token == "--" {
                remaining = trimBlanks(remaining[end...])
                break
            }
            guard let eq = token.firstIndex(of: "="), eq > token.startIndex,
                token[token.startIndex..<eq].unicodeScalars.allSatisfy(isASCIILetter)
            else { break }
            let name = token[token.startIndex..<eq].lowercased()
            guard allowed.contains(name) else {
                throw .badArgument(
                    "unknown \(command) option '\(name.prefix(maxEchoedWord))' (options: "
                        + allowed.joined(separator: ", ") + "; put -- before text that starts with NAME=)")
            }
            guard options[name] == nil else { throw .badArgument("option '\(name)' given twice") }
            options[name] = String(token[token.index(after: eq)...])
            remaining = trimBlanks(remaining[end...])
        }
        return (options, remaining)
    }

    /// A decimal number of ASCII digits in `0...max`.
    private static func number(_ value: String, name: String, max: Int) throws(ProtocolError) -> Int {
        let shown = value.prefix(maxEchoedWord)
        guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let n = Int(value)
        else { throw .badArgument("\(name) must be a whole number in 0...\(max), not '\(shown)'") }
        guard n <= max else { throw .badArgument("\(name) must be a whole number in 0...\(max), not '\(shown)'") }
        return n
    }

    private static func formatValue(_ value: String, plainName: String) throws(ProtocolError) -> Request.Format {
        switch value.lowercased() {
        case plainName: return .plain
        case "json": return .json
        default:
            throw .badArgument("format must be \(plainName) or json, not '\(value.prefix(maxEchoedWord))'")
        }
    }

    /// The bytes as a String, or nil when they aren't valid UTF-8.
    static func validUTF8(_ bytes: ArraySlice<UInt8>) -> String? {
        let decoded = String(decoding: bytes, as: UTF8.self)
        // Decoding replaces each invalid sequence with U+FFFD, which changes the bytes.
        guard decoded.utf8.elementsEqual(bytes) else { return nil }
        return decoded
    }

    private static func isBlank(_ c: Character) -> Bool { c == " " || c == "\t" }

    private static func isASCIILetter(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s)
    }

    private static func trimBlanks(_ s: Substring) -> Substring {
        guard let first = s.firstIndex(where: { !isBlank($0) }), let last = s.lastIndex(where: { !isBlank($0) })
        else { return s[s.endIndex...] }
        return s[first...last]
    }
}
