/// Answers parsed requests with a backend: the protocol's logic, independent of sockets and threads.
///
/// `respond` may block (it calls the backend), so the server runs it on a worker thread, except for requests that
/// don't need the backend (``Request/needsBackend``).
struct RequestHandler: Sendable {
    /// The search engine behind the server.
    let backend: any ServerBackend

    /// The HELP text, one data line each.
    static let helpLines: [String] = [
        "Requests are single lines; every response is a status line (OK ... or ERR CODE message),",
        "data lines, then a line holding a single '.'; data lines starting with '.' get an extra '.'.",
        "QUERY [limit=N] [offset=N] [format=tsv|json] [--] <query>",
        "    OK <total> <returned>, then one hit per line:",
        "    tsv: rank<TAB>score<TAB>path<TAB>title<TAB>snippet (\\t \\n \\r \\\\ escaped)",
        "    json: {\"rank\",\"id\",\"path\",\"title\",\"score\",\"snippet\",\"matches\":[[start,end],...]}",
        "    limit 0..1000 (default 10), offset 0..1000000000 (default 0)",
        "COUNT <query>                      OK <number of matching documents>",
        "GET [format=text|json] [--] <path-or-id>",
        "    OK <path>, then the document text line by line (format=text),",
        "    or one JSON line {\"path\",\"title\",\"text\"} (format=json); ERR NOTFOUND when none",
        "STATS                              OK, then key<TAB>value lines",
        "PING                               OK PONG",
        "HELP                               this text",
        "QUIT                               OK BYE, then the server closes the connection",
    ]

    /// Parses and answers one line.
    func respond(toLine line: [UInt8]) -> Response {
        switch RequestParser.parse(line) {
        case .success(let request): return respond(to: request)
        case .failure(let error): return .error(error)
        }
    }

    /// Answers one request; backend errors become `ERR` responses.
    func respond(to request: Request) -> Response {
        do {
            return try answer(request)
        } catch let error as ProtocolError {
            return .error(error)
        } catch {
            return .error(ProtocolError.fromBackend(error))
        }
    }

    private func answer(_ request: Request) throws -> Response {
        switch request {
        case .query(let text, let limit, let offset, let format):
            let page = try backend.search(text, limit: limit, offset: offset, withMatches: format == .json)
            let hits = page.hits.prefix(limit)
            let lines: [String]
            switch format {
            case .plain: lines = hits.map(WireFormat.hitTSV)
            case .json: lines = hits.map(WireFormat.hitJSON)
            }
            return .ok("\(page.total)\(page.totalIsExact ? "" : "+") \(hits.count)", lines: lines)
        case .count(let text):
            return .ok(String(try backend.count(text)))
        case .get(let ref, let format):
            guard let doc = try backend.document(ref) else { throw ProtocolError.notFound(ref) }
            switch format {
            case .plain:
                return .ok(WireFormat.tsvEscape(doc.path), lines: WireFormat.textLines(doc.text))
            case .json:
                return .ok(
                    WireFormat.tsvEscape(doc.path),
                    lines: [WireFormat.documentJSON(path: doc.path, title: doc.title, text: doc.text)])
            }
        case .stats:
            let pairs = try backend.stats()
            return .ok(lines: pairs.map { "\(WireFormat.tsvEscape($0.key))\t\(WireFormat.tsvEscape($0.value))" })
        case .ping:
            return .ok("PONG")
        case .help:
            return .ok(lines: Self.helpLines)
        case .quit:
            return .ok("BYE", closesConnection: true)
        }
    }
}
