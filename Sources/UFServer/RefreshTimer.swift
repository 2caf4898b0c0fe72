import Dispatch
import UFIndex

/// Calls ``ServerBackend/refresh()`` at a fixed interval on a private serial queue (never on an event loop, never two
/// at once). The first error of a run of failures is written to stderr; the others are ignored.
final class RefreshTimer: @unchecked Sendable {
    private let backend: any ServerBackend
    private let interval: Double
    private let queue = DispatchQueue(label: "ufsearch.server.refresh")
    private var timer: (any DispatchSourceTimer)?
    /// Only touched on `queue`.
    private var failing = false

    /// Creates a stopped timer.
    init(backend: any ServerBackend, interval: Double) {
        self.backend = backend
        self.interval = interval
    }

    /// Starts ticking (no-op when the interval is 0 or the timer already runs).
    func start() {
        guard interval > 0, timer == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let nanos = Int(min(interval, 86_400) * 1e9)
        timer.schedule(deadline: .now() + .nanoseconds(nanos), repeating: .nanoseconds(nanos), leeway: .milliseconds(20))
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        self.timer = timer
    }

    /// Stops ticking and waits for a refresh in progress to finish.
    func stop() {
        timer?.cancel()
        timer = nil
        queue.sync {}
    }

    private func tick() {
        do {
            try backend.refresh()
            failing = false
        } catch {
            if !failing {
                failing = true
                let message = ResponseEncoder.singleLine(String(describing: error))
                Sys.writeStandardError("ufsearch server: index refresh failed: \(message)\n")
            }
        }
    }
}
