#if canImport(Glibc)
import Glibc
private let posixClose = Glibc.close
private let posixSend = Glibc.send
private let posixRecv = Glibc.recv
private let streamSocket = Int32(SOCK_STREAM.rawValue)
private let noSignal = Int32(MSG_NOSIGNAL)
#elseif canImport(Darwin)
import Darwin
private let posixClose = Darwin.close
private let posixSend = Darwin.send
private let posixRecv = Darwin.recv
private let streamSocket = SOCK_STREAM
private let noSignal: Int32 = 0
#endif
import Foundation

/// Why a ``TestClient`` call failed.
enum TestClientError: Error, Equatable {
    /// `socket` or `connect` failed with this errno.
    case connectFailed(Int32)
    /// Nothing (or not enough) arrived before the deadline.
    case timeout
    /// The server closed the connection before a full line or response arrived.
    case closed
    /// `send` or `recv` failed with this errno.
    case io(Int32)
}

/// A blocking POSIX-socket client for end-to-end tests, with a deadline on every call (nothing can hang).
final class TestClient {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private(set) var sawEOF = false
    private var isClosed = false

    /// Connects to 127.0.0.1:`port`.
    init(port: Int) throws {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { throw TestClientError.connectFailed(errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let e = errno
            _ = posixClose(fd)
            throw TestClientError.connectFailed(e)
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
    }

    deinit { close() }

    /// Sends all of `text` (UTF-8).
    func send(_ text: String) throws { try send(bytes: Array(text.utf8)) }

    /// Sends all of `bytes`; a send blocked for 10 s fails with `.timeout`.
    func send(bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { raw in
                posixSend(fd, raw.baseAddress, raw.count, noSignal)
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError.timeout }
                throw TestClientError.io(errno)
            }
            sent += n
        }
    }

    /// The next line without its `\n`; nil at end of file.
    func readLine(timeout: Double = 10) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[start..<nl], as: UTF8.self)
                start = nl + 1
                if start > 65536 {
                    buffer.removeFirst(start)
                    start = 0
                }
                return line
            }
            if sawEOF { return nil }
            try fill(deadline: deadline)
        }
    }

    /// Reads one response: the status line and the data lines (dot-stuffing undone) up to the `.` line.
    func readResponse(timeout: Double = 10) throws -> (status: String, lines: [String]) {
        let deadline = Date().addingTimeInterval(timeout)
        guard let status = try readLine(timeout: max(0, deadline.timeIntervalSinceNow)) else {
            throw TestClientError.closed
        }
        var lines: [String] = []
        while true {
            guard let line = try readLine(timeout: max(0, deadline.timeIntervalSinceNow)) else {
                throw TestClientError.closed
            }
            if line == "." { return (status, lines) }
            lines.append(line.hasPrefix(".") ? String(line.dropFirst()) : line)
        }
    }

    /// Sends one line and reads its response.
    func request(_ line: String, timeout: Double = 10) throws -> (status: String, lines: [String]) {
        try send(line + "\n")
        return try readResponse(timeout: timeout)
    }

    /// Reads and drops everything until the server closes; false when it didn't close in time.
    func waitForClose(timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !sawEOF {
            start = buffer.count
            do { try fill(deadline: deadline) } catch TestClientError.io { return true } catch { return false }
        }
        return true
    }

    /// Half-closes: the server sees end of input, the client can still read.
    func shutdownWrite() {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes the socket; with `reset`, abortively (RST instead of FIN).
    func close(reset: Bool = false) {
        guard !isClosed else { return }
        isClosed = true
        if reset {
            var l = linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        }
        _ = posixClose(fd)
    }

    private func fill(deadline: Date) throws {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, min(deadline.timeIntervalSinceNow * 1000, 60_000)))
        let ready = poll(&pfd, 1, ms)
        if ready < 0 {
            if errno == EINTR { return }
            throw TestClientError.io(errno)
        }
        if ready == 0 { throw TestClientError.timeout }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { posixRecv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { return }
            throw TestClientError.io(errno)
        }
        if n == 0 {
            sawEOF = true
            return
        }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: chunk[0..<n])
    }
}
