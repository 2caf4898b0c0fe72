import Dispatch
import FoundationEssentials
import NIOCore
import NIOExtras
import NIOPosix
import UFIndex

/// The TCP line-protocol server (`docs/PROTOCOL.md`) in front of a ``ServerBackend``.
///
/// Typical use by a command-line tool:
/// ```swift
/// let server = LineServer(config: ServerConfig(port: 7700), backend: engine)
/// let (host, port) = try server.start()
/// print("listening on \(LineServer.describe(host: host, port: port))"); fflush(stdout)
/// server.installSignalHandlers()   // SIGINT/SIGTERM: graceful shutdown
/// try server.run()                 // returns after shutdown
/// ```
/// Nothing is written to stdout; only a failing index refresh is reported, once, on stderr.
public final class LineServer: @unchecked Sendable {
    private enum State {
        case idle
        case running(Runtime)
        case stopping
        case stopped
    }

    private struct Runtime {
        let group: MultiThreadedEventLoopGroup
        let pool: NIOThreadPool
        let serverChannels: [any Channel]
        /// How connections are steered to event loops (nil: one listening socket, unpinned loops).
        let steering: ProcessorSteering?
        let registry: ConnectionRegistry
        let timer: RefreshTimer
    }

    private let config: ServerConfig
    private let backend: any ServerBackend
    private let lock = Lock()
    private var state = State.idle
    private var address: (host: String, port: Int)?
    private var signalSources: [any DispatchSourceSignal] = []
    private let stopped = DispatchSemaphore(value: 0)

    /// Creates a server; nothing happens until ``start()`` or ``run()``.
    public init(config: ServerConfig = ServerConfig(), backend: any ServerBackend) {
        self.config = config
        self.backend = backend
    }

    /// The address the server listens on, once started.
    public var boundAddress: (host: String, port: Int)? {
        lock.withLock { address }
    }

    /// How many connections are open (tests use it to check that closed connections are released).
    var openConnections: Int {
        lock.withLock { () -> Int in
            if case .running(let runtime) = state { return runtime.registry.count }
            return 0
        }
    }

    /// Attaches the steering program to the first listening socket (tests make it fail, to
    /// check the fallback to one socket).
    var attachSteering: @Sendable (ProcessorSteering, any Channel) throws -> Void = { steering, channel in
        try steering.attach(to: channel)
    }

    /// The processors each event loop's thread may run on (tests use it).
    var loopProcessors: [[Int]] {
        let group: MultiThreadedEventLoopGroup? = lock.withLock {
            if case .running(let runtime) = state { return runtime.group }
            return nil
        }
        guard let group else { return [] }
        return group.makeIterator().map { (try? $0.submit { Sys.allowedProcessors() }.wait()) ?? [] }
    }

    /// The processors of the event loop serving each open connection (empty lists when
    /// connections are not steered); tests use it.
    var connectionProcessors: [[Int]] {
        lock.withLock { () -> [[Int]] in
            guard case .running(let runtime) = state else { return [] }
            return runtime.registry.all.map { channel in
                guard let steering = runtime.steering,
                      let i = runtime.serverChannels.firstIndex(where: { $0.eventLoop === channel.eventLoop }) else { return [] }
                return steering.processors[i]
            }
        }
    }

    /// `host:port`, with brackets around an IPv6 host (`[::1]:7700`).
    public static func describe(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Starts listening and serving in the background, and starts the refresh timer.
    /// - Returns: The bound address (the real port when the configured port is 0).
    /// - Throws: ``ServerError``: the configuration is invalid, the server was started before, or binding failed.
    @discardableResult
    public func start() throws -> (host: String, port: Int) {
        try config.validate()
        try lock.withLock {
            guard case .idle = state else { throw ServerError.alreadyStarted }
            state = .stopping  // Claimed while starting.
        }
        signal(SIGPIPE, SIG_IGN)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(System.coreCount, 4)))
        let pool = NIOThreadPool(numberOfThreads: config.workerThreads)
        pool.start()
        let registry = ConnectionRegistry(limit: config.maxConnections)
        let requestHandler = RequestHandler(backend: backend)
        let config = self.config

        let offload: ConnectionHandler.Offload = { eventLoop, work in
            pool.runIfActive(eventLoop: eventLoop, work)
        }
        let childInitializer: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                let sync = channel.pipeline.syncOperations
                guard registry.admit(channel) else {
                    try sync.addHandler(ConnectionRejecter())
                    return
                }
                try sync.addHandlers(
                    LineServer.connectionHandlers(config: config, requestHandler: requestHandler, offload: offload))
            }
        }
        let channels: [any Channel]
        let steering: ProcessorSteering?
        do {
            (channels, steering) = try Self.listen(config: config, group: group, attach: attachSteering, childInitializer: childInitializer)
        } catch {
            try? pool.syncShutdownGracefully()
            try? group.syncShutdownGracefully()
            lock.withLock { state = .idle }
            throw ServerError.bindFailed(host: config.host, port: config.port, reason: String(describing: error))
        }
        let channel = channels[0]
        let timer = RefreshTimer(backend: backend, interval: config.refreshInterval)
        timer.start()

        let bound = (
            host: channel.localAddress?.ipAddress ?? config.host,
            port: channel.localAddress?.port ?? config.port
        )
        lock.withLock {
            state = .running(
                Runtime(group: group, pool: pool, serverChannels: channels, steering: steering, registry: registry, timer: timer))
            address = bound
        }
        return bound
    }

    /// Serves until ``shutdown()`` (or a signal, after ``installSignalHandlers()``) has stopped the server; starts
    /// it first when ``start()`` wasn't called.
    /// - Throws: What ``start()`` throws.
    public func run() throws {
        let mustStart = lock.withLock { () -> Bool in
            if case .idle = state { return true }
            return false
        }
        if mustStart { try start() }
        stopped.wait()
        stopped.signal()  // Let any other waiter through too.
    }

    /// Stops gracefully: stops accepting, lets the requests in progress (and those already received) finish for up
    /// to ``ServerConfig/shutdownGracePeriod`` seconds, closes every connection, stops the refresh timer and the
    /// threads. Blocks until done, except when called on one of the server's event loops (then it returns at once
    /// and the shutdown goes on in the background). Calling it again, or before ``start()``, is harmless.
    public func shutdown() {
        let runtime: Runtime? = lock.withLock {
            switch state {
            case .running(let runtime):
                state = .stopping
                return runtime
            case .idle:
                state = .stopped
                stopped.signal()
                return nil
            case .stopping, .stopped:
                return nil
            }
        }
        guard let runtime else { return }
        if MultiThreadedEventLoopGroup.currentEventLoop != nil {
            DispatchQueue.global().async { self.stop(runtime) }
        } else {
            stop(runtime)
        }
    }

    /// Makes SIGINT and SIGTERM shut the server down gracefully (see ``shutdown()``) instead of killing the
    /// process, and ignores SIGPIPE. Call it once, after ``start()``.
    public func installSignalHandlers() {
        signal(SIGPIPE, SIG_IGN)
        let queue = DispatchQueue(label: "ufsearch.server.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                guard let self else { return }
                DispatchQueue.global().async { self.shutdown() }
            }
            source.resume()
            sources.append(source)
        }
        lock.withLock { signalSources += sources }
    }

    /// The listening sockets: one per event loop, with connections steered to the loop on the
    /// client's processor (``ProcessorSteering``), or one for all loops where steering cannot
    /// be set up.
    private static func listen(config: ServerConfig, group: MultiThreadedEventLoopGroup,
                               attach: (ProcessorSteering, any Channel) throws -> Void,
                               childInitializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) throws
        -> (channels: [any Channel], steering: ProcessorSteering?)
    {
        let loops = Array(group.makeIterator())
        func bootstrap(_ group: any EventLoopGroup, _ child: any EventLoopGroup, reusePort: Bool) -> ServerBootstrap {
            ServerBootstrap(group: group, childGroup: child)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SO_REUSEPORT), value: reusePort ? 1 : 0)
                .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer(childInitializer)
        }
        let plain = { [try bootstrap(group, group, reusePort: false).bind(host: config.host, port: config.port).wait()] }
        guard config.steerToProcessors, let steering = ProcessorSteering(allowed: Sys.allowedProcessors(), loops: loops.count) else {
            return (try plain(), nil)
        }
        // The port is first taken without SO_REUSEPORT, so that a port another server listens
        // on (ufsearch's steered group included) fails here as it would without steering.
        let probe = try plain()[0]
        let port = probe.localAddress?.port ?? config.port
        try probe.close().wait()
        var channels = [any Channel]()
        do {
            for i in steering.processors.indices {
                let loop = loops[i]
                guard try loop.submit({ steering.pinCurrentThread(loop: i) }).wait() else { throw ChannelError.operationUnsupported }
                channels.append(try bootstrap(loop, loop, reusePort: true).bind(host: config.host, port: port).wait())
            }
            try attach(steering, channels[0])
        } catch {
            // Not available here: undo, and listen the plain way.
            for c in channels { try? c.close().wait() }
            for loop in loops { _ = try? loop.submit({ Sys.pinCurrentThread(to: steering.allowed) }).wait() }
            return ([try bootstrap(group, group, reusePort: false).bind(host: config.host, port: port).wait()], nil)
        }
        return (channels, steering)
    }

    /// The pipeline of an admitted connection: idle timer (unless disabled), line framing, then the protocol.
    static func connectionHandlers(
        config: ServerConfig, requestHandler: RequestHandler, offload: @escaping ConnectionHandler.Offload
    ) -> [any ChannelHandler] {
        var handlers: [any ChannelHandler] = []
        if config.idleTimeout > 0 {
            let nanos = Int64(min(config.idleTimeout, 1e9) * 1e9)
            handlers.append(IdleStateHandler(allTimeout: .nanoseconds(nanos)))
        }
        handlers.append(
            ByteToMessageHandler(
                LineBasedFrameDecoder(),
                // +1: room for the '\r' of a CRLF whose '\n' hasn't arrived yet.
                maximumBufferSize: config.maxLineLength + 1))
        handlers.append(
            ConnectionHandler(
                handler: requestHandler, maxLineLength: config.maxLineLength, idleTimeout: config.idleTimeout,
                offload: offload))
        return handlers
    }

    private func stop(_ runtime: Runtime) {
        // 1. Stop accepting.
        for channel in runtime.serverChannels { try? channel.close().wait() }
        // 2. Ask every connection to finish what it has received, then close.
        for channel in runtime.registry.all {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        wait(upTo: config.shutdownGracePeriod) { runtime.registry.count == 0 }
        // 3. Close what is left.
        for channel in runtime.registry.all {
            channel.close(promise: nil)
        }
        wait(upTo: 1) { runtime.registry.count == 0 }
        // 4. Stop the timer and the threads (bounded: a backend call that never returns mustn't hang shutdown).
        runtime.timer.stop()
        let poolDone = DispatchSemaphore(value: 0)
        runtime.pool.shutdownGracefully { _ in poolDone.signal() }
        _ = poolDone.wait(timeout: .now() + .seconds(2))
        let groupDone = DispatchSemaphore(value: 0)
        runtime.group.shutdownGracefully { _ in groupDone.signal() }
        _ = groupDone.wait(timeout: .now() + .seconds(5))

        lock.withLock { state = .stopped }
        stopped.signal()
    }

    private func wait(upTo seconds: Double, until done: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while !done() && Date() < deadline {
            usleep(10_000)
        }
    }
}
