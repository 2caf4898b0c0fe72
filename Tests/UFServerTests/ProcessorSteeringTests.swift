import Foundation
import Testing
import UFIndex
@testable import UFServer

/// The steering program, run by hand, and the server's steering over real sockets.
@Suite(.serialized) struct ProcessorSteeringTests {
    @Test func programMapsEachProcessorToItsLoop() throws {
        #if os(Linux)
        let two = try #require(ProcessorSteering(allowed: [0, 1], loops: 2))
        #expect(two.processors == [[0], [1]])
        #expect(two.socketIndex(forProcessor: 0) == 0)
        #expect(two.socketIndex(forProcessor: 1) == 1)
        #expect(two.socketIndex(forProcessor: 2) == nil)
        // Gaps in the allowed set, more processors than loops.
        let six = try #require(ProcessorSteering(allowed: [1, 3, 4, 8, 9, 12], loops: 4))
        #expect(six.processors == [[1, 9], [3, 12], [4], [8]])
        for (loop, processors) in six.processors.enumerated() {
            for p in processors { #expect(six.socketIndex(forProcessor: p) == UInt32(loop)) }
        }
        for p in [0, 2, 5, 10, 13, 255] { #expect(six.socketIndex(forProcessor: p) == nil) }
        // The program's first instruction loads the processor number; every jump lands on a return.
        let program = six.program
        #expect(program.count == 2 + 2 * 6)
        #expect(program[0] == .init(code: 0x20, jt: 0, jf: 0, k: 0xFFFF_F024))
        #endif
        #expect(ProcessorSteering(allowed: [0], loops: 4) == nil)
        #expect(ProcessorSteering(allowed: [0, 1], loops: 1) == nil)
        #expect(ProcessorSteering(allowed: Array(0..<256), loops: 4) == nil)
    }

    /// A client pinned to a processor is served by the event loop pinned there.
    @Test func connectionsAreServedOnTheirClientsProcessor() throws {
        let allowed = Sys.allowedProcessors()
        #if os(Linux)
        guard allowed.count >= 2 else { return }  // one processor: nothing to steer
        #else
        return
        #endif
        let server = LineServer(config: ServerConfig(host: "127.0.0.1", port: 0, workerThreads: 2), backend: MockBackend())
        let (_, port) = try server.start()
        defer { server.shutdown() }
        for cpu in allowed.prefix(4) {
            // Connect and PING from a thread pinned to `cpu`; keep the connection open while checking.
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var client: TestClient?
            nonisolated(unsafe) var pinned = false
            let thread = Thread {
                pinned = Sys.pinCurrentThread(to: [cpu])
                client = try? TestClient(port: port)
                _ = try? client?.request("PING")
                done.signal()
            }
            thread.start()
            done.wait()
            #expect(pinned)
            #expect(client != nil)
            let serving = server.connectionProcessors
            #expect(serving.count == 1 && serving[0].contains(cpu), "client on processor \(cpu), served on \(serving)")
            client = nil
            let deadline = Date().addingTimeInterval(5)
            while server.openConnections > 0 && Date() < deadline { usleep(10_000) }
        }
    }

    /// When the program cannot be attached, the server listens on one socket with its loops
    /// free to run on every allowed processor again, and serves as before.
    @Test func failedSteeringFallsBackToOneSocket() throws {
        let allowed = Sys.allowedProcessors()
        #if os(Linux)
        guard allowed.count >= 2 else { return }
        #else
        return
        #endif
        struct Refused: Error {}
        let server = LineServer(config: ServerConfig(host: "127.0.0.1", port: 0, workerThreads: 2), backend: MockBackend())
        server.attachSteering = { _, _ in throw Refused() }
        let (_, port) = try server.start()
        defer { server.shutdown() }
        #expect(server.loopProcessors.allSatisfy { $0 == allowed }, "loops: \(server.loopProcessors)")
        let client = try TestClient(port: port)
        #expect(try client.request("PING").status == "OK PONG")
        #expect(server.connectionProcessors == [[]])
        // With steering, the loops are pinned (the control for the check above).
        let steered = LineServer(config: ServerConfig(host: "127.0.0.1", port: 0, workerThreads: 2), backend: MockBackend())
        _ = try steered.start()
        defer { steered.shutdown() }
        #expect(steered.loopProcessors.contains { $0 != allowed })
    }
}
