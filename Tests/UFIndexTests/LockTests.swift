import Dispatch
import Testing
import UFIndex

/// The Foundation-free thread primitives: `Lock`, `Condition` and `DetachedThread`.
struct LockTests {
    /// Increments under the lock from several threads all arrive.
    @Test func lockExcludes() {
        let lock = Lock()
        nonisolated(unsafe) var counter = 0
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0 ..< 200_000 {
                lock.lock()
                counter += 1
                lock.unlock()
            }
        }
        #expect(counter == 800_000)
        #expect(lock.withLock { counter } == 800_000)
    }

    /// A detached thread runs, with its name, and hands values over through a condition.
    @Test func detachedThreadAndCondition() {
        let cond = Condition()
        nonisolated(unsafe) var queue = [Int]()
        nonisolated(unsafe) var finished = false
        let done = DispatchSemaphore(value: 0)
        let started = DetachedThread.start(name: "ufsearch-lock-test-thread") {
            for i in 0 ..< 1000 {
                cond.lock()
                queue.append(i)
                cond.signal()
                cond.unlock()
            }
            cond.lock()
            finished = true
            cond.broadcast()
            cond.unlock()
            done.signal()
        }
        #expect(started)
        var received = [Int]()
        cond.lock()
        while true {
            received += queue
            queue.removeAll()
            if finished { break }
            cond.wait()
        }
        cond.unlock()
        #expect(received == Array(0 ..< 1000))
        #expect(done.wait(timeout: .now() + 10) == .success)
    }
}
