import ArgumentParser
import FoundationEssentials
import UFAnalysis
import UFIndex
import UFSearch
import UFServer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve queries over a line protocol (see docs/PROTOCOL.md).",
        discussion: """
        The index stays open; commits by other processes are picked up within a second. \
        The server is read-only. When ready it prints `listening on HOST:PORT`.

        Examples:
          ufsearch serve --port 7700
          ufsearch serve --port 0 --index /tmp/idx
          printf 'QUERY limit=3 宗教中国化\\n' | nc 127.0.0.1 7700
        """
    )
    @OptionGroup var location: IndexLocation
    @Option(name: .long, help: "Address to bind (loopback by default).") var host = "127.0.0.1"
    @Option(name: .long, help: "Port (0 picks a free one).") var port = 7700
    @Option(name: .customLong("max-connections"), help: "Connections served at once.") var maxConnections = 64
    @Option(name: .customLong("idle-timeout"), help: "Close connections idle this many seconds.") var idleTimeout: Double = 300

    func validate() throws {
        if port < 0 || port > 65535 { throw ValidationError("--port must be between 0 and 65535") }
        if maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive") }
    }

    func run() throws {
        try reportingErrors {
            let backend = try SearchBackend(path: location.path)
            var config = ServerConfig(host: host, port: port, maxConnections: maxConnections, idleTimeout: idleTimeout)
            config.workerThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)
            let server = LineServer(config: config, backend: backend)
            let (h, p) = try server.start()
            Output.line("listening on \(LineServer.describe(host: h, port: p))")
            Output.flush()
            server.installSignalHandlers()
            try server.run()
        }
    }
}

/// A query error reported to protocol clients as `ERR BADQUERY`.
struct BadQuery: ServerReportableError {
    let message: String
    var protocolCode: String { "BADQUERY" }
    var protocolMessage: String { message }
}

/// The real engine behind the line server: one snapshot at a time, swapped when another
/// process commits; each request uses the snapshot current when it starts.
final class SearchBackend: ServerBackend, @unchecked Sendable {
    private let path: String
    private let lock = Lock()
    private var snapshot: IndexSnapshot
    private var analyzers: [Analyzer] = []

    init(path: String) throws {
        self.path = path
        snapshot = try IndexSnapshot.open(path)
    }

    /// Runs `body` with the current snapshot and a pooled analyser.
    private func withSearcher<T>(_ body: (Searcher) throws -> T) throws -> T {
        lock.lock()
        let snap = snapshot
        let analyzer = analyzers.popLast()
        lock.unlock()
        let a = try analyzer ?? Analyzer()
        defer { lock.lock(); analyzers.append(a); lock.unlock() }
        return try body(try Searcher(snapshot: snap, analyzer: a))
    }

    func search(_ query: String, limit: Int, offset: Int) throws -> ServerPage {
        try search(query, limit: limit, offset: offset, withMatches: true)
    }

    func search(_ query: String, limit: Int, offset: Int, withMatches: Bool) throws -> ServerPage {
        try withSearcher { s in
            var o = SearchOptions()
            o.limit = limit
            o.offset = offset
            o.exactTotal = false
            let r: SearchResults
            do { r = try s.search(query, options: o) } catch let e as QueryError { throw BadQuery(message: e.description) }
            let hits = try r.hits.map { h -> ServerHit in
                // JSON clients get every match; TSV shows none, so a long document's start may do for the snippet.
                let d = try s.detail(id: h.id, plan: r.plan, snippets: 1, allMatches: withMatches, occurrences: h.occurrences)
                return ServerHit(rank: h.rank, id: h.id, path: h.info.path, title: h.info.title, score: h.score,
                                 snippet: d.plainSnippet, matches: d.matches.map { ($0.lowerBound, $0.upperBound) })
            }
            return ServerPage(total: r.total, hits: hits, totalIsExact: r.totalIsExact)
        }
    }

    func count(_ query: String) throws -> Int {
        try withSearcher { s in
            do { return try s.matchingIDs(try s.compile(query)).count } catch let e as QueryError {
                throw BadQuery(message: e.description)
            }
        }
    }

    func document(_ ref: String) throws -> (path: String, title: String, text: String)? {
        try withSearcher { s in
            var id = try s.snapshot.document(path: ref)
            if id == nil, let n = Int(ref), s.isLive(n) { id = n }
            guard let found = id, let (info, bytes) = try s.document(id: found) else { return nil }
            let d = try bytes.withUnsafeBytes { try DecodedText.decode($0) }
            return (info.path, info.title, String(decoding: d.utf16, as: UTF16.self))
        }
    }

    func stats() throws -> [(key: String, value: String)] {
        lock.lock()
        let snap = snapshot
        lock.unlock()
        return statsPairs(snap).map { (key: $0.0, value: $0.1) }
    }

    func refresh() throws {
        lock.lock()
        let current = snapshot.generation
        lock.unlock()
        guard let (m, _) = try Manifest.latest(in: path), m.generation != current else { return }
        let next = try IndexSnapshot.open(path)
        lock.lock()
        snapshot = next  // the old one is released when its last request finishes
        lock.unlock()
    }
}
