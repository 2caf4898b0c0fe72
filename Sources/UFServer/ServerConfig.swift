import NIOCore

/// Settings of a ``LineServer``.
public struct ServerConfig: Sendable {
    /// Address to listen on (an IP address or a host name); default `127.0.0.1`.
    public var host: String
    /// TCP port to listen on; default 7700; 0 lets the system pick a free port (``LineServer/start()`` returns it).
    public var port: Int
    /// Most connections served at once; one more gets `ERR BUSY too many connections` and is closed. Default 64.
    public var maxConnections: Int
    /// Seconds a connection may stay idle (no request, no response in progress) before the server closes it;
    /// 0 disables. Default 300.
    public var idleTimeout: Double
    /// Longest request line in bytes, line terminator excluded; a longer line gets `ERR TOOLONG` and the connection
    /// is closed. Default 65536.
    public var maxLineLength: Int
    /// Threads that run backend calls (queries, documents, stats); default: the number of cores.
    public var workerThreads: Int
    /// Seconds between two calls of ``ServerBackend/refresh()``; default 0.2; 0 disables the refresh timer.
    public var refreshInterval: Double
    /// Seconds a graceful shutdown waits for in-flight requests before closing the connections; default 2.
    public var shutdownGracePeriod: Double
    /// Whether each connection is served by an event loop pinned to its client's processor
    /// (``ProcessorSteering``; Linux, several processors); default true.
    public var steerToProcessors: Bool

    /// Creates a configuration; every parameter has the default documented on its property.
    public init(
        host: String = "127.0.0.1",
        port: Int = 7700,
        maxConnections: Int = 64,
        idleTimeout: Double = 300,
        maxLineLength: Int = 65536,
        workerThreads: Int = System.coreCount,
        refreshInterval: Double = 0.2,
        shutdownGracePeriod: Double = 2,
        steerToProcessors: Bool = true
    ) {
        self.host = host
        self.port = port
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.maxLineLength = maxLineLength
        self.workerThreads = workerThreads
        self.refreshInterval = refreshInterval
        self.shutdownGracePeriod = shutdownGracePeriod
        self.steerToProcessors = steerToProcessors
    }

    /// Checks every setting's range.
    /// - Throws: ``ServerError/invalidConfiguration(_:)`` naming the first bad setting.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw ServerError.invalidConfiguration(message) }
        }
        try check(!host.isEmpty, "host must not be empty")
        try check((0...65535).contains(port), "port must be in 0...65535, not \(port)")
        try check(maxConnections >= 1, "maxConnections must be at least 1, not \(maxConnections)")
        try check(idleTimeout.isFinite && idleTimeout >= 0, "idleTimeout must be >= 0 seconds, not \(idleTimeout)")
        try check(maxLineLength >= 64, "maxLineLength must be at least 64 bytes, not \(maxLineLength)")
        try check((1...1024).contains(workerThreads), "workerThreads must be in 1...1024, not \(workerThreads)")
        try check(
            refreshInterval.isFinite && refreshInterval >= 0,
            "refreshInterval must be >= 0 seconds, not \(refreshInterval)")
        try check(
            shutdownGracePeriod.isFinite && shutdownGracePeriod >= 0,
            "shutdownGracePeriod must be >= 0 seconds, not \(shutdownGracePeriod)")
    }
}
