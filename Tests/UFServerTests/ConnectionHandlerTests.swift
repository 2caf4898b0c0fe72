import NIOCore
import NIOEmbedded
import Testing
import UFTestSupport
@testable import UFServer

/// The connection pipeline (framing + protocol) on an `EmbeddedChannel`: no sockets, no threads.
@Suite struct ConnectionHandlerTests {
    /// Runs offloaded work inline.
    static let inline: ConnectionHandler.Offload = { loop, work in loop.makeSucceededFuture(work()) }

    private func makeChannel(
        maxLineLength: Int = 64, idleTimeout: Double = 0, offload: @escaping ConnectionHandler.Offload = inline
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let config = ServerConfig(idleTimeout: idleTimeout, maxLineLength: maxLineLength)
        try channel.pipeline.syncOperations.addHandlers(
            LineServer.connectionHandlers(
                config: config, requestHandler: RequestHandler(backend: MockBackend(slowSeconds: 0)),
                offload: offload))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7700)).wait()
        return channel
    }

    private func send(_ channel: EmbeddedChannel, _ bytes: [UInt8]) throws {
        try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
    }

    private func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try send(channel, Array(text.utf8))
    }

    private func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    @Test func everyCommandInOrderWithCRLF() throws {
        let channel = try makeChannel()
        defer { _ = try? channel.finish() }
        try send(channel, "PING\r\nCOUNT 工作\nQUERY limit=1 format=json 统一\r\nGET 2\nSTATS\n")
        let out = try output(channel)
        #expect(
            out
                == "OK PONG\n.\n" + "OK 2\n.\n" + "OK 1 1\n"
                + #"{"rank":1,"id":0,"path":"reports/2019/a.txt","title":"统战工作报告","score":1.0,"snippet":"…统一战线工作报告\n…","matches":[[0,3],[9,12]]}"#
                + "\n.\n" + "OK notes/c d.txt\n..\n.\n" + "OK\ndocuments\t3\ngeneration\t7\n..hidden\tx\\ty\n.\n")
        try send(channel, "HELP\n")
        #expect(try output(channel).hasPrefix("OK\nRequests are single lines"))
    }

    @Test func linesSplitAcrossReads() throws {
        let channel = try makeChannel()
        defer { _ = try? channel.finish() }
        try send(channel, "PI")
        #expect(try output(channel) == "")
        try send(channel, "NG\r")
        #expect(try output(channel) == "")
        try send(channel, "\nPING\n")
        #expect(try output(channel) == "OK PONG\n.\nOK PONG\n.\n")
    }

    @Test func errorsKeepConnectionUsable() throws {
        let channel = try makeChannel()
        defer { _ = try? channel.finish() }
        try send(channel, [0xFF, 0xC3, 0x0A] + Array("\nNOPE x\nQUERY limit=abc x\nQUERY bad(\nPING\n".utf8))
        #expect(
            try output(channel)
                == "ERR BADUTF8 request is not valid UTF-8\n.\n" + "ERR EMPTY empty request (try HELP)\n.\n"
                + "ERR UNKNOWN unknown command 'NOPE' (try HELP)\n.\n"
                + "ERR BADARG limit must be a whole number in 0...1000, not 'abc'\n.\n"
                + "ERR BADQUERY unbalanced parenthesis at 1\n.\n" + "OK PONG\n.\n")
        #expect(channel.isActive)
    }

    @Test func quitClosesAndIgnoresTheRest() throws {
        let channel = try makeChannel()
        try send(channel, "PING\nQUIT\nPING\n")
        #expect(try output(channel) == "OK PONG\n.\nOK BYE\n.\n")
        #expect(!channel.isActive)
    }

    @Test func unfinishedLineOverLimit() throws {
        let channel = try makeChannel(maxLineLength: 64)
        try send(channel, "PING\n" + String(repeating: "x", count: 60))
        #expect(try output(channel) == "OK PONG\n.\n")
        #expect(channel.isActive)
        try send(channel, String(repeating: "x", count: 10))
        #expect(try output(channel) == "ERR TOOLONG request line longer than 64 bytes; closing\n.\n")
        #expect(!channel.isActive)
    }

    @Test func completeLineOverLimit() throws {
        let channel = try makeChannel(maxLineLength: 64)
        try send(channel, "PING\n" + String(repeating: "y", count: 65) + "\nPING\n")
        #expect(try output(channel) == "OK PONG\n.\nERR TOOLONG request line longer than 64 bytes; closing\n.\n")
        #expect(!channel.isActive)
    }

    @Test func lineAtLimitIsFine() throws {
        let channel = try makeChannel(maxLineLength: 64)
        defer { _ = try? channel.finish() }
        let line = "COUNT " + String(repeating: "z", count: 58)  // 64 bytes
        try send(channel, line + "\r")
        try send(channel, "\n")
        #expect(try output(channel) == "OK 0\n.\n")
    }

    @Test func responsesWaitForSlowerEarlierRequests() throws {
        let loopPromises = PromiseBox()
        let channel = try makeChannel(offload: { loop, work in
            let promise = loop.makePromise(of: ConnectionHandler.Encoded.self)
            loopPromises.items.append((promise, work))
            return promise.futureResult
        })
        defer { _ = try? channel.finish() }
        try send(channel, "COUNT n:1\nPING\nCOUNT n:2\nPING\n")
        #expect(try output(channel) == "")  // PING waits behind the running COUNT
        #expect(loopPromises.items.count == 1)
        loopPromises.completeNext()
        #expect(try output(channel) == "OK 1\n.\nOK PONG\n.\n")
        #expect(loopPromises.items.count == 1)
        loopPromises.completeNext()
        #expect(try output(channel) == "OK 2\n.\nOK PONG\n.\n")
    }

    @Test func failedOffloadReportsShutdown() throws {
        struct Gone: Error {}
        let channel = try makeChannel(offload: { loop, _ in loop.makeFailedFuture(Gone()) })
        defer { _ = try? channel.finish() }
        try send(channel, "COUNT x\nPING\n")
        #expect(try output(channel) == "ERR SHUTDOWN server is shutting down\n.\nOK PONG\n.\n")
    }

    /// IdleStateHandler measures real time, so the event is fired by hand here (the end-to-end test waits for it).
    @Test func idleEventCloses() throws {
        let box = PromiseBox()
        let channel = try makeChannel(idleTimeout: 1, offload: { loop, work in
            let promise = loop.makePromise(of: ConnectionHandler.Encoded.self)
            box.items.append((promise, work))
            return promise.futureResult
        })
        try send(channel, "COUNT n:3\n")
        // Busy: the event is ignored.
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
        #expect(channel.isActive)
        box.completeNext()
        #expect(try output(channel) == "OK 3\n.\n")
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.read)
        #expect(channel.isActive)
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
        #expect(try output(channel) == "ERR TIMEOUT idle for 1 s; closing\n.\n")
        #expect(!channel.isActive)
    }

    @Test func quiesceFinishesQueuedWorkThenCloses() throws {
        let box = PromiseBox()
        let channel = try makeChannel(offload: { loop, work in
            let promise = loop.makePromise(of: ConnectionHandler.Encoded.self)
            box.items.append((promise, work))
            return promise.futureResult
        })
        try send(channel, "COUNT n:5\nPING\n")
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try send(channel, "PING\n")  // after quiesce: ignored
        #expect(channel.isActive)
        box.completeNext()
        #expect(try output(channel) == "OK 5\n.\nOK PONG\n.\n")
        #expect(!channel.isActive)
    }

    @Test func inputClosedAnswersPendingAndUnterminatedLastLine() throws {
        let channel = try makeChannel()
        try send(channel, "PING\nCOUNT n:9")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try output(channel) == "OK PONG\n.\nOK 9\n.\n")
        #expect(!channel.isActive)
    }

    @Test func randomBytesNeverTrap() throws {
        var rng = SplitMix64(seed: 7)
        for round in 0..<20 {
            let channel = try makeChannel(maxLineLength: 256)
            for _ in 0..<20 {
                let count = Int(rng.next() % 200)
                var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if round % 2 == 0 { bytes = bytes.map { $0 % 16 == 0 ? 0x0A : $0 } }
                guard channel.isActive else { break }
                try? send(channel, bytes)
            }
            _ = try? output(channel)
            _ = try? channel.finish()
        }
    }
}

/// Offloaded work held until the test completes it.
final class PromiseBox {
    var items: [(EventLoopPromise<ConnectionHandler.Encoded>, @Sendable () -> ConnectionHandler.Encoded)] = []

    func completeNext() {
        guard !items.isEmpty else { return }
        let (promise, work) = items.removeFirst()
        promise.succeed(work())
    }
}
