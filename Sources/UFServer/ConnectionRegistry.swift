import NIOCore
import UFIndex

/// The open connections of a server, bounded in number; safe to use from any thread.
final class ConnectionRegistry: @unchecked Sendable {
    private let lock = Lock()
    private var channels: [ObjectIdentifier: any Channel] = [:]
    private let limit: Int

    /// Creates an empty registry admitting at most `limit` connections.
    init(limit: Int) {
        self.limit = limit
    }

    /// Adds `channel` if fewer than `limit` are registered; it is removed again when it closes.
    /// - Returns: Whether the channel was admitted.
    func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted: Bool = lock.withLock {
            guard channels.count < limit else { return false }
            channels[id] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [weak self] _ in
                self?.lock.withLock { _ = self?.channels.removeValue(forKey: id) }
            }
        }
        return admitted
    }

    /// How many connections are open.
    var count: Int { lock.withLock { channels.count } }

    /// The open connections.
    var all: [any Channel] { lock.withLock { Array(channels.values) } }
}
