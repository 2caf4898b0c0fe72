// The only file in UFIndex that talks to the C library's I/O functions.
//
// Every wrapper retries on EINTR and turns failures into `IndexError.io(path:errno:op:)`.
// Functions taking a file descriptor also take the path it was opened from, for messages.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("unsupported platform")
#endif

// File-scope shims: inside `enum Sys` the static members would shadow these C names.
private typealias CStat = stat
private func c_open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func c_close(_ fd: Int32) -> Int32 { close(fd) }
private func c_read(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ n: Int) -> Int { read(fd, buf, n) }
private func c_pread(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ n: Int, _ off: off_t) -> Int { pread(fd, buf, n, off) }
private func c_write(_ fd: Int32, _ buf: UnsafeRawPointer?, _ n: Int) -> Int { write(fd, buf, n) }
private func c_pwrite(_ fd: Int32, _ buf: UnsafeRawPointer?, _ n: Int, _ off: off_t) -> Int { pwrite(fd, buf, n, off) }
private func c_fsync(_ fd: Int32) -> Int32 { fsync(fd) }
private func c_rename(_ a: String, _ b: String) -> Int32 { rename(a, b) }
private func c_unlink(_ path: String) -> Int32 { unlink(path) }
private func c_mkdir(_ path: String, _ mode: mode_t) -> Int32 { mkdir(path, mode) }
private func c_stat(_ path: String, _ st: inout CStat) -> Int32 { stat(path, &st) }
private func c_fstat(_ fd: Int32, _ st: inout CStat) -> Int32 { fstat(fd, &st) }
private func c_flock(_ fd: Int32, _ op: Int32) -> Int32 { flock(fd, op) }
private func c_getenv(_ name: String) -> UnsafeMutablePointer<CChar>? { getenv(name) }

/// Thin, throwing wrappers over the system calls UFIndex needs. Nothing else in the package
/// calls the C library's I/O functions directly.
public enum Sys {
    // MARK: Errors

    /// The C library's message for an errno value (`strerror`).
    public static func errorString(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    @inline(__always)
    private static func fail(_ path: String, _ op: String, _ code: Int32 = errno) -> IndexError {
        .io(path: path, errno: code, op: op)
    }

    /// Runs `body` until it does not fail with EINTR; returns its result (errno is preserved).
    @inline(__always)
    private static func retrying<T: BinaryInteger>(_ body: () -> T) -> T {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    // MARK: Opening and closing

    /// Opens `path` read-only (close-on-exec) and returns the descriptor.
    public static func openRead(_ path: String) throws -> Int32 {
        let fd = retrying { c_open(path, O_RDONLY | O_CLOEXEC, 0) }
        guard fd >= 0 else { throw fail(path, "open") }
        return fd
    }

    /// Creates `path` for writing; fails (EEXIST) if it already exists.
    public static func createExclusive(_ path: String, mode: UInt32 = 0o644) throws -> Int32 {
        let fd = retrying { c_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode)) }
        guard fd >= 0 else { throw fail(path, "create") }
        return fd
    }

    /// Opens (creating if needed) `path` for writing, truncating it when `truncate` is true.
    public static func openWrite(_ path: String, truncate: Bool, mode: UInt32 = 0o644) throws -> Int32 {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        let fd = retrying { c_open(path, flags, mode_t(mode)) }
        guard fd >= 0 else { throw fail(path, "open") }
        return fd
    }

    /// Closes `fd`. EINTR is treated as success: on Linux the descriptor is released anyway and
    /// retrying could close a descriptor reused by another thread.
    public static func close(_ fd: Int32, path: String) throws {
        if c_close(fd) == -1 && errno != EINTR { throw fail(path, "close") }
    }

    // MARK: Reading and writing

    /// Reads up to `buffer.count` bytes at `offset`; returns the number read (0 at end of file).
    public static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: Int64, path: String) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        let n = retrying { c_pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
        guard n >= 0 else { throw fail(path, "read") }
        return n
    }

    /// Reads a whole (small) file into memory.
    public static func readAll(_ path: String) throws -> [UInt8] {
        let fd = try openRead(path)
        defer { try? close(fd, path: path) }
        let size = try fileSize(fd, path: path)
        guard size < Int64(Int32.max) else { throw fail(path, "read", EFBIG) }
        var result = [UInt8]()
        result.reserveCapacity(Int(size))
        // A chunk no larger than the file needs (plus one byte to see the end): a manifest of a
        // few hundred bytes should not zero 64 KiB (16 fresh pages) on every query's start.
        var chunk = [UInt8](repeating: 0, count: Int(min(64 * 1024, max(4096, size + 1))))
        while true {
            let n = try chunk.withUnsafeMutableBytes { buf -> Int in
                let n = retrying { c_read(fd, buf.baseAddress, buf.count) }
                guard n >= 0 else { throw fail(path, "read") }
                return n
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Writes all of `bytes` at `offset`, looping over short writes.
    public static func pwrite(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, offset: Int64, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = retrying { c_pwrite(fd, base + done, bytes.count - done, off_t(offset + Int64(done))) }
            guard n > 0 else { throw fail(path, "write", n == 0 ? EIO : errno) }
            done += n
        }
    }

    /// Writes all of `bytes` at the current file position, looping over short writes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = retrying { c_write(fd, base + done, bytes.count - done) }
            guard n > 0 else { throw fail(path, "write", n == 0 ? EIO : errno) }
            done += n
        }
    }

    /// Writes all of `bytes` at the current file position.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    /// Flushes `fd`'s data and metadata to stable storage.
    public static func fsync(_ fd: Int32, path: String) throws {
        guard retrying({ c_fsync(fd) }) == 0 else { throw fail(path, "fsync") }
    }

    /// Flushes a directory's entries (after create/rename/unlink) to stable storage.
    public static func fsyncDirectory(_ path: String) throws {
        let fd = retrying { c_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }
        guard fd >= 0 else { throw fail(path, "open directory") }
        defer { _ = c_close(fd) }
        guard retrying({ c_fsync(fd) }) == 0 else {
            // Some filesystems refuse fsync on directories; that is not a durability failure we can act on.
            if errno == EINVAL || errno == ENOTSUP { return }
            throw fail(path, "fsync directory")
        }
    }

    // MARK: Names

    /// Atomically renames `from` to `to`, replacing `to` if it exists.
    public static func rename(from: String, to: String) throws {
        guard retrying({ c_rename(from, to) }) == 0 else { throw fail("\(from) to \(to)", "rename") }
    }

    /// Removes `path`. With `ignoreMissing`, a missing file is not an error.
    public static func unlink(_ path: String, ignoreMissing: Bool = false) throws {
        guard retrying({ c_unlink(path) }) == 0 else {
            if ignoreMissing && errno == ENOENT { return }
            throw fail(path, "remove")
        }
    }

    /// Creates `path` and any missing parent directories (like `mkdir -p`).
    public static func mkdirp(_ path: String, mode: UInt32 = 0o755) throws {
        guard !path.isEmpty else { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
            prefix += component
            if retrying({ c_mkdir(prefix, mode_t(mode)) }) == 0 { continue }
            let code = errno
            if code == EEXIST, let info = try stat(prefix), info.isDirectory { continue }
            throw fail(prefix, "create directory", code == EEXIST ? ENOTDIR : code)
        }
    }

    /// Names in directory `path` (excluding `.` and `..`), sorted bytewise.
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw fail(path, "list directory") }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw fail(path, "list directory") }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    // MARK: Metadata

    /// Size in bytes of the open file `fd`.
    public static func fileSize(_ fd: Int32, path: String) throws -> Int64 {
        var st = CStat()
        guard retrying({ c_fstat(fd, &st) }) == 0 else { throw fail(path, "stat") }
        return Int64(st.st_size)
    }

    /// The process's working directory (`getcwd`).
    public static func currentDirectory() throws -> String {
        guard let p = getcwd(nil, 0) else { throw fail(".", "getcwd") }
        defer { free(p) }
        return String(cString: p)
    }

    /// The wall-clock time (the clock file times come from), nanoseconds since the epoch.
    public static func realTimeNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }

    /// Metadata of `path` (following symlinks), or nil when it does not exist.
    public static func stat(_ path: String) throws -> (size: Int64, mtimeNanos: Int64, isDirectory: Bool, isRegular: Bool)? {
        var st = CStat()
        guard retrying({ c_stat(path, &st) }) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw fail(path, "stat")
        }
        #if canImport(Darwin)
        let ts = st.st_mtimespec
        #else
        let ts = st.st_mtim
        #endif
        let nanos = Int64(ts.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
        let mtime = nanos.overflow ? Int64.max : nanos.partialValue &+ Int64(ts.tv_nsec)
        let type = st.st_mode & S_IFMT
        return (Int64(st.st_size), mtime, type == S_IFDIR, type == S_IFREG)
    }

    // MARK: Locking

    /// Takes an advisory `flock` on `fd`. Returns false when `wait` is false and the lock is held
    /// elsewhere (EWOULDBLOCK); with `wait` it blocks until granted.
    public static func flock(_ fd: Int32, exclusive: Bool, wait: Bool, path: String) throws -> Bool {
        let op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)
        guard retrying({ c_flock(fd, op) }) == 0 else {
            if !wait && errno == EWOULDBLOCK { return false }
            throw fail(path, "lock")
        }
        return true
    }

    /// Releases a `flock` held on `fd`.
    public static func unlock(_ fd: Int32, path: String) throws {
        guard retrying({ c_flock(fd, LOCK_UN) }) == 0 else { throw fail(path, "unlock") }
    }

    // MARK: Memory mapping

    /// Maps `length` (> 0) bytes of `fd` read-only and private.
    public static func mmap(_ fd: Int32, length: Int, path: String) throws -> UnsafeRawPointer {
        guard length > 0 else { throw fail(path, "map", EINVAL) }
        #if canImport(Darwin)
        let p = Darwin.mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0)
        #elseif canImport(Glibc)
        let p = Glibc.mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0)
        #else
        let p = Musl.mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0)
        #endif
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else { throw fail(path, "map") }
        return UnsafeRawPointer(p)
    }

    /// Tells the kernel the process no longer needs the pages of a read-only file mapping in
    /// `pointer ..< pointer + length` (rounded inwards to whole pages): they leave the resident set
    /// and are read again from the file if touched. Used by merges, which read each source once.
    public static func dropPages(_ pointer: UnsafeRawPointer, length: Int) {
        let page = 4096
        let start = (Int(bitPattern: pointer) + page - 1) / page * page
        let end = (Int(bitPattern: pointer) + length) / page * page
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        #if canImport(Glibc)
        _ = Glibc.madvise(p, end - start, Int32(MADV_DONTNEED))
        #elseif canImport(Darwin)
        _ = Darwin.madvise(p, end - start, MADV_DONTNEED)
        #endif
    }

    /// Unmaps a region returned by ``mmap(_:length:path:)``. Failure is ignored (it can only
    /// mean the arguments were wrong, and this runs from deinit).
    public static func munmap(_ pointer: UnsafeRawPointer, length: Int) {
        #if canImport(Darwin)
        _ = Darwin.munmap(UnsafeMutableRawPointer(mutating: pointer), length)
        #elseif canImport(Glibc)
        _ = Glibc.munmap(UnsafeMutableRawPointer(mutating: pointer), length)
        #else
        _ = Musl.munmap(UnsafeMutableRawPointer(mutating: pointer), length)
        #endif
    }

    // MARK: Anonymous memory

    /// Size of a transparent huge page (x86-64; arm64 with 4 KiB pages).
    public static let hugePageSize = 2 << 20

    /// Maps `length` (> 0) bytes of zeroed, private, anonymous memory aligned to `hugePageSize`;
    /// pages are only committed when touched. With `hugePages`, asks the kernel to back it with
    /// transparent huge pages, so that random probes of a big table (the indexer's term hash
    /// table) rarely miss the TLB. (Not for big sequential buffers: on virtual machines, zeroing
    /// fresh huge pages cost more than the 4 KiB faults it saves.) Returns nil when the system refuses.
    public static func mapAnonymous(_ length: Int, hugePages: Bool) -> UnsafeMutableRawPointer? {
        guard length > 0 else { return nil }
        let huge = hugePageSize
        let padded = length + huge
        #if canImport(Glibc)
        let raw = Glibc.mmap(nil, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        #elseif canImport(Darwin)
        let raw = Darwin.mmap(nil, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0)
        #else
        let raw = Musl.mmap(nil, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        #endif
        guard let raw, raw != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        // Trim the unaligned head and the tail so the region starts on a huge-page boundary.
        let start = (Int(bitPattern: raw) + huge - 1) / huge * huge
        let head = start - Int(bitPattern: raw)
        if head > 0 { munmap(UnsafeRawPointer(raw), length: head) }
        let tail = padded - head - length
        if tail > 0, let t = UnsafeRawPointer(bitPattern: start + length) { munmap(t, length: tail) }
        let p = UnsafeMutableRawPointer(bitPattern: start)!
        #if canImport(Glibc)
        if hugePages { _ = Glibc.madvise(p, length, 14 /* MADV_HUGEPAGE */) }
        #endif
        return p
    }

    /// Unmaps a region returned by ``mapAnonymous(_:hugePages:)`` (same length).
    public static func unmapAnonymous(_ pointer: UnsafeMutableRawPointer, length: Int) {
        munmap(UnsafeRawPointer(pointer), length: length)
    }

    // MARK: Process

    /// The calling process's id (used to name temporary files).
    public static var processID: Int32 { getpid() }

    /// Writes `text` to standard error (file descriptor 2) with ``writeAll(_:_:path:)``; a
    /// failure is ignored (there is nowhere left to report it).
    public static func writeStandardError(_ text: String) {
        try? writeAll(2, Array(text.utf8), path: "standard error")
    }

    /// The value of environment variable `name`, if set.
    public static func environment(_ name: String) -> String? {
        c_getenv(name).map { String(cString: $0) }
    }

    /// Tunes glibc's allocator so freed blocks stay in the heap for reuse: without it, the
    /// 256 KiB blocks decompressed for snippets and the per-document buffers of indexing are
    /// returned to the kernel and faulted in (zeroed) again, which cost a fifth of query time.
    public static func keepFreedMemoryForReuse() {
        #if canImport(Glibc)
        _ = c_mallopt(-1 /* M_TRIM_THRESHOLD */, 512 << 20)
        _ = c_mallopt(-3 /* M_MMAP_THRESHOLD */, 64 << 20)
        #endif
    }

    // MARK: Processors

    /// The processors the calling thread may run on (`sched_getaffinity`), ascending; empty
    /// when the platform cannot tell.
    public static func allowedProcessors() -> [Int] {
        #if os(Linux)
        var set = cpu_set_t()
        guard c_sched_getaffinity(0, MemoryLayout<cpu_set_t>.size, &set) == 0 else { return [] }
        return withUnsafeBytes(of: &set) { bytes in
            (0..<bytes.count * 8).filter { bytes[$0 / 8] & (1 << ($0 % 8)) != 0 }
        }
        #else
        return []
        #endif
    }

    /// How many processors the calling thread may run on (``allowedProcessors()``, else the
    /// online count; at least 1). Cheap, unlike `ProcessInfo.activeProcessorCount`, which reads
    /// cgroup files: 6% of a one-shot query's CPU. It does not see a cgroup's CPU quota, so
    /// callers cap it.
    public static func processorCount() -> Int {
        let n = allowedProcessors().count
        return n > 0 ? n : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Restricts the calling thread to `processors` (`sched_setaffinity`); false when that
    /// failed or the platform has no such call.
    @discardableResult
    public static func pinCurrentThread(to processors: [Int]) -> Bool {
        #if os(Linux)
        var set = cpu_set_t()
        let fits = withUnsafeMutableBytes(of: &set) { bytes -> Bool in
            for p in processors {
                guard p >= 0 && p < bytes.count * 8 else { return false }
                bytes[p / 8] |= UInt8(1 << (p % 8))
            }
            return !processors.isEmpty
        }
        return fits && c_sched_setaffinity(0, MemoryLayout<cpu_set_t>.size, &set) == 0
        #else
        return false
        #endif
    }

    /// Sleeps the calling thread for `nanoseconds`, resuming after signal interruptions.
    public static func sleep(nanoseconds: Int64) {
        guard nanoseconds > 0 else { return }
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}

#if canImport(Glibc)
/// glibc's mallopt (malloc.h is not part of the Glibc module).
@_silgen_name("mallopt")
private func c_mallopt(_ param: Int32, _ value: Int32) -> Int32
#endif

#if os(Linux)
/// glibc's sched_getaffinity and sched_setaffinity (declared only with _GNU_SOURCE); pid 0 is
/// the calling thread.
@_silgen_name("sched_getaffinity")
private func c_sched_getaffinity(_ pid: Int32, _ size: Int, _ set: UnsafeMutableRawPointer) -> Int32
@_silgen_name("sched_setaffinity")
private func c_sched_setaffinity(_ pid: Int32, _ size: Int, _ set: UnsafeRawPointer) -> Int32
#endif
