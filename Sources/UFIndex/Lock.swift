#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutual-exclusion lock over a pthread mutex, for code that holds it across statements
/// (Foundation's `NSLock` without Foundation: the binary then links neither Foundation nor its
/// copy of ICU). `Synchronization.Mutex` serves where the guarded state fits one closure.
public final class Lock: @unchecked Sendable {
    let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// A new, unlocked lock.
    public init() {
        mutex = pthreadObject(pthread_mutex_t()) { pthread_mutex_init($0, nil) }
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Waits for the lock and takes it.
    public func lock() { pthread_mutex_lock(mutex) }

    /// Releases the lock (the calling thread must hold it).
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A condition variable with its own lock, as Foundation's `NSCondition`: `lock`, test the
/// predicate, `wait` while it is false, `unlock`; the other side changes the state under the lock
/// and calls `signal` or `broadcast`.
public final class Condition: @unchecked Sendable {
    private let lockObject = Lock()
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    /// A new condition, its lock not held.
    public init() {
        cond = pthreadObject(pthread_cond_t()) { pthread_cond_init($0, nil) }
    }

    deinit {
        pthread_cond_destroy(cond)
        cond.deallocate()
    }

    /// Takes the condition's lock.
    public func lock() { lockObject.lock() }

    /// Releases the condition's lock.
    public func unlock() { lockObject.unlock() }

    /// Releases the lock, waits for a `signal` or `broadcast` (or a spurious wake-up), and takes
    /// the lock again. The caller must hold the lock.
    public func wait() { pthread_cond_wait(cond, lockObject.mutex) }

    /// Wakes one waiting thread.
    public func signal() { pthread_cond_signal(cond) }

    /// Wakes every waiting thread.
    public func broadcast() { pthread_cond_broadcast(cond) }
}

/// A pthread object on the heap, where it must stay (pthreads may keep its address), set up by
/// `initialize`.
private func pthreadObject<T>(_ empty: T, _ initialize: (UnsafeMutablePointer<T>) -> Int32) -> UnsafeMutablePointer<T> {
    let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
    p.initialize(to: empty)
    _ = initialize(p)
    return p
}
