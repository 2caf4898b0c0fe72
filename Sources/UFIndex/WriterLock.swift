/// The single-writer lock of an index directory: an exclusive `flock` on `<dir>/LOCK`.
///
/// Only writers (indexing, deleting, merging, garbage collection) take it; readers never do.
/// `flock` locks belong to the open file description, so the lock is released by ``release()``,
/// by deinit, or by the kernel when the process exits, even after a crash; a stale `LOCK` file
/// is harmless.
public final class WriterLock: @unchecked Sendable {
    /// Path of the lock file.
    public let path: String
    private var fd: Int32?

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Polling interval while waiting with a timeout.
    public static let pollInterval: Duration = .milliseconds(50)

    /// Takes the writer lock of `indexDirectory`, creating `LOCK` if needed.
    ///
    /// - `wait: false`: throws `IndexError.locked` at once when another writer holds it.
    /// - `wait: true, timeout: nil`: blocks until the lock is free.
    /// - `wait: true, timeout: t`: polls every 50 ms and throws `IndexError.locked` after `t`.
    public static func acquire(indexDirectory: String, wait: Bool = false, timeout: Duration? = nil) throws -> WriterLock {
        let path = IndexDirectory(path: indexDirectory).lockPath
        let fd = try Sys.openWrite(path, truncate: false)
        do {
            if try tryLock(fd: fd, path: path, wait: wait, timeout: timeout) {
                return WriterLock(path: path, fd: fd)
            }
            throw IndexError.locked(path: path)
        } catch {
            try? Sys.close(fd, path: path)
            throw error
        }
    }

    private static func tryLock(fd: Int32, path: String, wait: Bool, timeout: Duration?) throws -> Bool {
        guard wait else { return try Sys.flock(fd, exclusive: true, wait: false, path: path) }
        guard let timeout else { return try Sys.flock(fd, exclusive: true, wait: true, path: path) }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if try Sys.flock(fd, exclusive: true, wait: false, path: path) { return true }
            let left = deadline - clock.now
            if left <= .zero { return false }
            let step = min(left, pollInterval)
            let (seconds, attos) = step.components
            Sys.sleep(nanoseconds: seconds * 1_000_000_000 + attos / 1_000_000_000)
        }
    }

    /// True until ``release()`` is called.
    public var isHeld: Bool { fd != nil }

    /// Releases the lock (idempotent). The `LOCK` file is left in place.
    public func release() {
        guard let fd else { return }
        self.fd = nil
        try? Sys.unlock(fd, path: path)
        try? Sys.close(fd, path: path)
    }

    deinit { release() }
}
