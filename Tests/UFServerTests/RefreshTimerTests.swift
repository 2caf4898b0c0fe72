import Foundation
import Testing
@testable import UFServer

@Suite struct RefreshTimerTests {
    private func waitForRefreshes(_ backend: MockBackend, atLeast n: Int) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while backend.refreshes < n && Date() < deadline { usleep(10_000) }
        return backend.refreshes >= n
    }

    @Test func ticksAndStops() {
        let backend = MockBackend()
        let timer = RefreshTimer(backend: backend, interval: 0.02)
        timer.start()
        #expect(waitForRefreshes(backend, atLeast: 3))
        timer.stop()
        let after = backend.refreshes
        usleep(100_000)
        #expect(backend.refreshes == after)
    }

    @Test func keepsTickingWhenRefreshThrows() {
        let backend = MockBackend(refreshFails: true)
        let timer = RefreshTimer(backend: backend, interval: 0.02)
        timer.start()
        #expect(waitForRefreshes(backend, atLeast: 3))
        timer.stop()
    }

    @Test func zeroIntervalDisables() {
        let backend = MockBackend()
        let timer = RefreshTimer(backend: backend, interval: 0)
        timer.start()
        usleep(100_000)
        #expect(backend.refreshes == 0)
        timer.stop()
    }
}
