import Foundation
@testable import UFServer

/// A query syntax error, reported as `BADQUERY`.
struct MockQueryError: ServerReportableError, CustomStringConvertible {
    var protocolCode: String { "BADQUERY" }
    var description: String { "unbalanced parenthesis at 1" }
}

/// A plain error, reported as `INTERNAL`.
struct MockFailure: Error, CustomStringConvertible {
    var description: String { "disk on fire\nsecond line" }
}

/// A small in-memory backend.
///
/// Queries: `slow` sleeps `slowSeconds` then matches everything; `bad(` throws a BADQUERY error; `boom` throws a
/// plain error; `big` returns up to 1000 hits of 1 KiB snippets; `n:<i>` counts `i`; any other text matches the
/// documents whose text contains it (case-sensitive).
final class MockBackend: ServerBackend, @unchecked Sendable {
    struct Doc {
        var path: String
        var title: String
        var text: String
    }

    let docs: [Doc] = [
        Doc(path: "reports/2019/a.txt", title: "统战工作报告", text: "统一战线工作报告\n第一部分\tA\n.点开头的行\n..two dots\n"),
        Doc(path: "reports/2020/b.txt", title: "Title\twith tab", text: "民族宗教工作\r\nCRLF line\rlone CR"),
        Doc(path: "notes/c d.txt", title: "back\\slash", text: ".\n"),
    ]
    let slowSeconds: Double
    let refreshFails: Bool
    private let lock = NSLock()
    private var _refreshes = 0

    init(slowSeconds: Double = 1.5, refreshFails: Bool = false) {
        self.slowSeconds = slowSeconds
        self.refreshFails = refreshFails
    }

    var refreshes: Int { lock.withLock { _refreshes } }

    func search(_ query: String, limit: Int, offset: Int) throws -> ServerPage {
        if query == "big" {
            let total = 5000
            let snippet = String(repeating: "统战\t工作", count: 100)
            let hits = (offset..<min(total, offset + limit)).map { i in
                ServerHit(
                    rank: i + 1, id: i, path: "big/\(i).txt", title: "Big \(i)", score: 100 - Double(i) / 100,
                    snippet: snippet, matches: [(start: 0, end: 6)])
            }
            return ServerPage(total: total, hits: hits)
        }
        let matched = try matching(query)
        let window = matched.dropFirst(offset).prefix(limit)
        let hits = window.map { i in
            let doc = docs[i]
            return ServerHit(
                rank: i + 1, id: i, path: doc.path, title: doc.title, score: 1.0 / Double(i + 1),
                snippet: "…" + doc.text.prefix(8) + "\n…", matches: [(start: 0, end: 3), (start: 9, end: 12)])
        }
        return ServerPage(total: matched.count, hits: Array(hits))
    }

    func count(_ query: String) throws -> Int {
        if query.hasPrefix("n:"), let n = Int(query.dropFirst(2)) { return n }
        return try matching(query).count
    }

    func document(_ ref: String) throws -> (path: String, title: String, text: String)? {
        if ref == "boom" { throw MockFailure() }
        if let id = Int(ref) {
            guard docs.indices.contains(id) else { return nil }
            let d = docs[id]
            return (d.path, d.title, d.text)
        }
        guard let d = docs.first(where: { $0.path == ref }) else { return nil }
        return (d.path, d.title, d.text)
    }

    func stats() throws -> [(key: String, value: String)] {
        [("documents", "\(docs.count)"), ("generation", "7"), (".hidden", "x\ty")]
    }

    func refresh() throws {
        lock.withLock { _refreshes += 1 }
        if refreshFails { throw MockFailure() }
    }

    private func matching(_ query: String) throws -> [Int] {
        switch query {
        case "bad(": throw MockQueryError()
        case "boom": throw MockFailure()
        case "slow":
            Thread.sleep(forTimeInterval: slowSeconds)
            return Array(docs.indices)
        default:
            return docs.indices.filter { docs[$0].text.contains(query) || docs[$0].title.contains(query) }
        }
    }
}
