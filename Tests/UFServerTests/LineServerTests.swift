import Foundation
import Testing
import UFTestSupport
@testable import UFServer

/// End to end over real sockets on 127.0.0.1 (port 0). Serialized: the timing checks shouldn't compete for 2 cores.
@Suite(.serialized) struct LineServerTests {
    private static func config(_ change: (inout ServerConfig) -> Void = { _ in }) -> ServerConfig {
        var config = ServerConfig(host: "127.0.0.1", port: 0, workerThreads: 2)
        change(&config)
        return config
    }

    /// Starts a server, runs `body`, checks the server still answers PING on a new connection, shuts it down.
    private func withServer(
        _ config: ServerConfig = config(), backend: MockBackend = MockBackend(),
        _ body: (LineServer, Int) throws -> Void
    ) throws {
        let server = LineServer(config: config, backend: backend)
        let (host, port) = try server.start()
        defer { server.shutdown() }
        #expect(host == "127.0.0.1")
        #expect(port > 0)
        try body(server, port)
        #expect(pingsEventually(port: port))
    }

    /// Whether a new connection gets `OK PONG` within 5 s (retrying while the server reports BUSY because it hasn't
    /// yet seen the close of an earlier connection).
    private func pingsEventually(port: Int) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let c = try? TestClient(port: port), (try? c.request("PING").status) == "OK PONG" { return true }
            usleep(50_000)
        }
        return false
    }

    @Test func everyCommand() throws {
        try withServer { _, port in
            let c = try TestClient(port: port)
            #expect(try c.request("PING") == ("OK PONG", []))
            let help = try c.request("help")
            #expect(help.status == "OK")
            #expect(help.lines.contains { $0.hasPrefix("QUERY") })
            #expect(
                try c.request("QUERY 工作")
                    == (
                        "OK 2 2",
                        [
                            "1\t1.0000\treports/2019/a.txt\t统战工作报告\t…统一战线工作报告\\n…",
                            "2\t0.5000\treports/2020/b.txt\tTitle\\twith tab\t…民族宗教工作\\r\\nC\\n…",
                        ]
                    ))
            let json = try c.request("QUERY format=json offset=1 工作")
            #expect(json.status == "OK 2 1")
            #expect(json.lines.count == 1)
            let object = try JSONSerialization.jsonObject(with: Data(json.lines[0].utf8)) as? [String: Any]
            #expect(object?["path"] as? String == "reports/2020/b.txt")
            #expect(object?["title"] as? String == "Title\twith tab")
            #expect(object?["matches"] as? [[Int]] == [[0, 3], [9, 12]])
            #expect(try c.request("COUNT 工作") == ("OK 2", []))
            #expect(
                try c.request("GET 0")
                    == ("OK reports/2019/a.txt", ["统一战线工作报告", "第一部分\tA", ".点开头的行", "..two dots"]))
            #expect(try c.request("GET format=json notes/c d.txt").lines == [#"{"path":"notes/c d.txt","title":"back\\slash","text":".\n"}"#])
            #expect(try c.request("GET 99") == ("ERR NOTFOUND no document '99'", []))
            #expect(try c.request("STATS") == ("OK", ["documents\t3", "generation\t7", ".hidden\tx\\ty"]))
            #expect(try c.request("FROB") == ("ERR UNKNOWN unknown command 'FROB' (try HELP)", []))
            #expect(try c.request("") == ("ERR EMPTY empty request (try HELP)", []))
            #expect(try c.request("QUERY limit=-1 x").status.hasPrefix("ERR BADARG "))
            #expect(try c.request("QUERY bad(") == ("ERR BADQUERY unbalanced parenthesis at 1", []))
            #expect(try c.request("COUNT boom") == ("ERR INTERNAL disk on fire second line", []))
            try c.send("ping\r\n")
            #expect(try c.readResponse() == ("OK PONG", []))
            #expect(try c.request("QUIT") == ("OK BYE", []))
            #expect(c.waitForClose(timeout: 5))
        }
    }

    @Test func pipelinesThousandRequestsInOrder() throws {
        try withServer { _, port in
            let c = try TestClient(port: port)
            var requests = ""
            for i in 0..<1000 {
                requests += i % 10 == 9 ? "PING\n" : (i % 10 == 4 ? "QUERY limit=1 统一\r\n" : "COUNT n:\(i)\n")
            }
            try c.send(requests)
            for i in 0..<1000 {
                let response = try c.readResponse(timeout: 20)
                switch i % 10 {
                case 9: #expect(response.status == "OK PONG", "request \(i)")
                case 4: #expect(response.status == "OK 1 1", "request \(i)")
                default: #expect(response.status == "OK \(i)", "request \(i)")
                }
                if response.status.hasPrefix("ERR") { break }
            }
        }
    }

    @Test func hundredConcurrentConnections() throws {
        try withServer(Self.config { $0.maxConnections = 128 }) { _, port in
            let clients = try (0..<100).map { _ in try TestClient(port: port) }
            for round in 0..<3 {
                for (i, c) in clients.enumerated() {
                    try c.send("COUNT n:\(i * 10 + round)\nQUERY limit=1 工作\n")
                }
                for (i, c) in clients.enumerated() {
                    #expect(try c.readResponse().status == "OK \(i * 10 + round)")
                    #expect(try c.readResponse().status == "OK 2 1")
                }
            }
            // The same from 4 threads at once.
            let failures = Counter()
            DispatchQueue.concurrentPerform(iterations: 4) { part in
                for i in stride(from: part, to: 100, by: 4) {
                    do {
                        if try clients[i].request("COUNT n:\(i)").status != "OK \(i)" { failures.add() }
                    } catch {
                        failures.add()
                    }
                }
            }
            #expect(failures.value == 0)
        }
    }

    @Test func overLongLineGetsErrorThenClose() throws {
        try withServer(Self.config { $0.maxLineLength = 65536 }) { _, port in
            // Without a newline: the decoder's buffer passes the limit.
            let c = try TestClient(port: port)
            #expect(try c.request("PING").status == "OK PONG")
            try c.send(bytes: [UInt8](repeating: UInt8(ascii: "x"), count: 70_000))
            #expect(
                try c.readResponse() == ("ERR TOOLONG request line longer than 65536 bytes; closing", []))
            #expect(c.waitForClose(timeout: 5))
            // With a newline, followed by more requests.
            let d = try TestClient(port: port)
            try d.send(String(repeating: "统", count: 30_000) + "\nPING\n")
            #expect(try d.readResponse().status == "ERR TOOLONG request line longer than 65536 bytes; closing")
            #expect(d.waitForClose(timeout: 5))
        }
    }

    @Test func invalidUTF8KeepsConnection() throws {
        try withServer { _, port in
            let c = try TestClient(port: port)
            try c.send(bytes: [0xFF, 0xFE, 0x0A, 0xE7, 0xBB, 0x0A])
            #expect(try c.readResponse() == ("ERR BADUTF8 request is not valid UTF-8", []))
            #expect(try c.readResponse() == ("ERR BADUTF8 request is not valid UTF-8", []))
            #expect(try c.request("PING").status == "OK PONG")
        }
    }

    @Test func randomBytesDontHurt() throws {
        try withServer(Self.config { $0.maxLineLength = 4096 }) { _, port in
            var rng = SplitMix64(seed: 2024)
            for round in 0..<3 {
                let c = try TestClient(port: port)
                var bytes = (0..<65536).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if round == 1 { bytes = bytes.map { $0 == 0x0A ? 0x20 : $0 } }  // one huge line
                try? c.send(bytes: bytes)
                if round == 2 { _ = c.waitForClose(timeout: 0.5) }
                c.close(reset: round == 0)
                let p = try TestClient(port: port)
                #expect(try p.request("PING").status == "OK PONG")
            }
        }
    }

    @Test func clientDisconnectingMidResponse() throws {
        try withServer { server, port in
            for i in 0..<5 {
                let c = try TestClient(port: port)
                try c.send("QUERY limit=1000 big\nQUERY limit=1000 big\n")
                if i % 2 == 0 { _ = try c.readLine() }
                c.close(reset: i % 2 == 1)
            }
            // Every one of those connections is released.
            let deadline = Date().addingTimeInterval(5)
            while server.openConnections > 0 && Date() < deadline { usleep(20_000) }
            #expect(server.openConnections == 0)
            let c = try TestClient(port: port)
            let big = try c.request("QUERY limit=1000 format=json big", timeout: 20)
            #expect(big.status == "OK 5000 1000")
            #expect(big.lines.count == 1000)
        }
    }

    @Test func maxConnectionsEnforced() throws {
        try withServer(Self.config { $0.maxConnections = 2 }) { _, port in
            let a = try TestClient(port: port)
            let b = try TestClient(port: port)
            #expect(try a.request("PING").status == "OK PONG")
            #expect(try b.request("PING").status == "OK PONG")
            let c = try TestClient(port: port)
            #expect(try c.readResponse() == ("ERR BUSY too many connections", []))
            #expect(c.waitForClose(timeout: 5))
            a.close()
            // The slot frees once the server has seen the close.
            #expect(pingsEventually(port: port))
            #expect(try b.request("PING").status == "OK PONG")
            b.close()
        }
    }

    @Test func idleConnectionsAreClosed() throws {
        try withServer(Self.config { $0.idleTimeout = 1 }) { _, port in
            let c = try TestClient(port: port)
            #expect(try c.request("PING").status == "OK PONG")
            let start = Date()
            #expect(try c.readResponse(timeout: 5) == ("ERR TIMEOUT idle for 1 s; closing", []))
            #expect(Date().timeIntervalSince(start) > 0.7)
            #expect(c.waitForClose(timeout: 5))
        }
    }

    @Test func slowQueryDoesNotBlockOthers() throws {
        try withServer(backend: MockBackend(slowSeconds: 3)) { _, port in
            let slow = try TestClient(port: port)
            let fast = try TestClient(port: port)
            let start = Date()
            try slow.send("QUERY slow\n")
            usleep(100_000)
            #expect(try fast.request("PING").status == "OK PONG")
            #expect(try fast.request("COUNT 工作").status == "OK 2")
            #expect(Date().timeIntervalSince(start) < 2.5)
            #expect(try slow.readResponse(timeout: 10).status == "OK 3 3")
            #expect(Date().timeIntervalSince(start) >= 2.9)
        }
    }

    @Test func halfClosedClientStillGetsAnswers() throws {
        try withServer { _, port in
            let c = try TestClient(port: port)
            try c.send("PING\nCOUNT n:4")
            c.shutdownWrite()
            #expect(try c.readResponse() == ("OK PONG", []))
            #expect(try c.readResponse() == ("OK 4", []))
            #expect(c.waitForClose(timeout: 5))
        }
    }

    @Test func refreshTimerRuns() throws {
        let backend = MockBackend()
        try withServer(backend: backend) { _, _ in
            let deadline = Date().addingTimeInterval(5)
            while backend.refreshes < 2 && Date() < deadline { usleep(50_000) }
            #expect(backend.refreshes >= 2)
        }
    }

    @Test func gracefulShutdownFinishesInFlightRequests() throws {
        let server = LineServer(config: Self.config(), backend: MockBackend(slowSeconds: 0.8))
        let (_, port) = try server.start()
        let runReturned = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? server.run()
            runReturned.signal()
        }
        let c = try TestClient(port: port)
        try c.send("QUERY slow\n")
        usleep(200_000)
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.shutdown()
            stopped.signal()
        }
        #expect(try c.readResponse(timeout: 5).status == "OK 3 3")
        #expect(c.waitForClose(timeout: 5))
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        #expect(runReturned.wait(timeout: .now() + 10) == .success)
        #expect(throws: TestClientError.self) { _ = try TestClient(port: port) }
        server.shutdown()  // again: harmless
        #expect(throws: ServerError.alreadyStarted) { try server.start() }
    }

    @Test func startErrors() throws {
        #expect(throws: ServerError.self) {
            try LineServer(config: Self.config { $0.maxConnections = 0 }, backend: MockBackend()).start()
        }
        try withServer { _, port in
            let second = LineServer(config: Self.config { $0.port = port }, backend: MockBackend())
            do {
                try second.start()
                Issue.record("binding a used port succeeded")
                second.shutdown()
            } catch let error as ServerError {
                guard case .bindFailed = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
            }
        }
        #expect(LineServer.describe(host: "::1", port: 7700) == "[::1]:7700")
        #expect(LineServer.describe(host: "127.0.0.1", port: 7700) == "127.0.0.1:7700")
    }
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
