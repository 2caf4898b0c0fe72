#if canImport(Glibc)
import Glibc
#endif
import UFIndex

/// Buffered stdout and one-line stderr messages for the CLI.
enum Output {
    nonisolated(unsafe) private static var buffer: [UInt8] = []

    /// Appends a line to stdout (buffered).
    static func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(0x0A)
        if buffer.count > 1 << 16 { flush() }
    }

    /// Appends raw text to stdout (buffered).
    static func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    /// Writes buffered stdout.
    static func flush() {
        // A failing stdout (a closed pipe) is not reported: the output has nowhere to go.
        try? Sys.writeAll(1, buffer, path: "standard output")
        buffer.removeAll(keepingCapacity: true)
    }

    /// Prints `ufsearch: message` on stderr.
    static func errorLine(_ message: String) {
        Sys.writeStandardError("ufsearch: " + message.replacingNewlines() + "\n")
    }

    /// True when stdout is a terminal.
    static var stdoutIsTTY: Bool { isatty(1) != 0 }
    /// True when stderr is a terminal.
    static var stderrIsTTY: Bool { isatty(2) != 0 }

    /// Reads all of stdin.
    static func readStdin() -> [UInt8] {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}

extension String {
    /// The string with line breaks replaced by spaces, for one-line messages.
    func replacingNewlines() -> String {
        String(self.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
