import Dispatch
import Synchronization
import UFIndex

/// The threads that help top-k searches (`SearchOptions.threads`). After each job, and when it
/// starts, a helper spins for a short while before it parks, so a search that soon follows
/// another (`query -`, a script's loop) hands work over without waiting for a thread to wake
/// (on our virtual machines a wake-up takes 20 to 80 µs, as long as a small query). Parked, a
/// helper costs nothing. Threads start on first use.
final class SearchHelpers: @unchecked Sendable {
    /// The process's helpers: enough for a search on four threads.
    static let shared = SearchHelpers(count: 3)
    /// How long an idle helper spins before it parks.
    static let spinNanoseconds: UInt64 = 250_000

    /// One helper thread and its mailbox.
    private final class Helper: @unchecked Sendable {
        /// 0 idle, 1 a job is being posted, 2 a job is posted, 3 running it.
        let state = Atomic<Int>(0)
        /// True while the thread waits on `wake` (or is about to).
        let parked = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        /// The posted job (written before `state` becomes 2, taken after the thread sees 2).
        var job: (() -> Void)?
        /// Which post the job came from (so a poster takes back only its own).
        var ticket = 0
        let started = Atomic<Bool>(false)

        func loop() {
            while true {
                var deadline: UInt64 = 0
                while state.load(ordering: .acquiring) != 2 {
                    let now = DispatchTime.now().uptimeNanoseconds
                    if deadline == 0 { deadline = now + SearchHelpers.spinNanoseconds }
                    if now < deadline { continue }
                    // Park (see `publish`).
                    parked.store(true, ordering: .sequentiallyConsistent)
                    if state.load(ordering: .sequentiallyConsistent) != 2 { wake.wait() }
                    parked.store(false, ordering: .sequentiallyConsistent)
                    deadline = 0
                }
                // The poster may take the job back meanwhile (`retract`): one of the two wins.
                guard state.compareExchange(expected: 2, desired: 3, ordering: .acquiring).exchanged else { continue }
                let j = job
                job = nil
                j?()
                state.store(0, ordering: .releasing)
            }
        }
    }

    private let helpers: [Helper]

    private init(count: Int) {
        helpers = (0..<count).map { _ in Helper() }
    }

    /// Runs `job` on helper `i` (0-based) unless it is busy with an earlier job; returns a
    /// ticket for ``retract(_:ticket:)``, or nil when it was not handed over.
    func post(_ i: Int, _ job: @escaping () -> Void) -> Int? {
        guard i < helpers.count else { return nil }
        let h = helpers[i]
        guard h.state.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged else { return nil }
        h.job = job
        h.ticket &+= 1
        let ticket = h.ticket
        publish(h)
        if !h.started.exchange(true, ordering: .relaxed) {
            DetachedThread.start(name: "ufs-helper-\(i)") { h.loop() }
        }
        return ticket
    }

    /// Takes back the job of `ticket` posted to helper `i` if its thread has not started it;
    /// returns whether it did (the job will then never run).
    func retract(_ i: Int, ticket: Int) -> Bool {
        let h = helpers[i]
        guard h.state.compareExchange(expected: 2, desired: 1, ordering: .acquiring).exchanged else { return false }
        guard h.ticket == ticket else {
            // Another search's job, posted since ours ran: leave it be.
            publish(h)
            return false
        }
        h.job = nil
        h.state.store(0, ordering: .releasing)
        return true
    }

    /// Marks helper `h`'s job posted and wakes the thread if it parked. The thread stores
    /// `parked` then reads the state; this stores the state then reads `parked`: with
    /// sequentially consistent order, one of the two sees the other.
    private func publish(_ h: Helper) {
        h.state.store(2, ordering: .sequentiallyConsistent)
        if h.parked.load(ordering: .sequentiallyConsistent) { h.wake.signal() }
    }
}
