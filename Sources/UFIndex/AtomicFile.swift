/// Crash-safe file writes.
public enum AtomicFile {
    /// Replaces `path` with `bytes` atomically: writes `path.tmp-<pid>`, fsyncs it, renames it over
    /// `path`, then fsyncs the containing directory. After a crash `path` holds either the old or
    /// the new contents, never a mix; a leftover `*.tmp-*` file may remain and is removed by
    /// `IndexDirectory.garbageCollect`.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let tmp = temporaryPath(for: path)
        let fd = try Sys.openWrite(tmp, truncate: true)
        do {
            try Sys.writeAll(fd, bytes, path: tmp)
            try Sys.fsync(fd, path: tmp)
        } catch {
            try? Sys.close(fd, path: tmp)
            try? Sys.unlink(tmp, ignoreMissing: true)
            throw error
        }
        do {
            try Sys.close(fd, path: tmp)
            try Sys.rename(from: tmp, to: path)
        } catch {
            try? Sys.unlink(tmp, ignoreMissing: true)
            throw error
        }
        try Sys.fsyncDirectory(parentDirectory(of: path))
    }

    /// Creates the new file `path` (failing if it exists), writes `bytes` and fsyncs it. The
    /// directory entry is not fsynced: callers writing several segment files fsync the directory
    /// once (`Sys.fsyncDirectory`) before committing a manifest that references them. On failure
    /// the partial file is removed.
    public static func writeDurable(_ bytes: [UInt8], to path: String) throws {
        let fd = try Sys.createExclusive(path)
        do {
            try Sys.writeAll(fd, bytes, path: path)
            try Sys.fsync(fd, path: path)
            try Sys.close(fd, path: path)
        } catch {
            try? Sys.close(fd, path: path)
            try? Sys.unlink(path, ignoreMissing: true)
            throw error
        }
    }

    /// The temporary name `write(_:to:)` uses for `path` in this process.
    public static func temporaryPath(for path: String) -> String {
        "\(path).tmp-\(Sys.processID)"
    }

    /// True when `name` looks like a temporary file left by ``write(_:to:)`` (`*.tmp-<digits>`).
    public static func isTemporaryName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        let suffix = name[name.index(after: dot)...]
        guard suffix.hasPrefix("tmp-") else { return false }
        let digits = suffix.dropFirst(4)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The directory containing `path` ("." for a bare name).
    public static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }
}
