/// A new index file written in order through a buffer, with the CRC of its body computed
/// on the way and the common footer (see FileFooter.swift) appended by `finish`.
/// Files are created exclusively and fsynced before `finish` returns.
final class FileSink {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var crc = CRC32()
    private var closed = false
    /// Bytes of body written so far (the offset of the next byte).
    private(set) var offset: UInt64 = 0

    init(path: String) throws {
        self.path = path
        fd = try Sys.createExclusive(path)
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if !closed { try? Sys.close(fd, path: path) }
    }

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        offset += UInt64(bytes.count)
        if buffer.count >= 1 << 20 { try drain() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        offset += UInt64(bytes.count)
        if buffer.count >= 1 << 20 { try drain() }
    }

    func write(_ w: ByteWriter) throws { try write(w.buffer) }

    private func drain() throws {
        buffer.withUnsafeBytes { crc.update($0) }
        try Sys.writeAll(fd, buffer, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes out what is buffered and closes, with no footer and no fsync: for a temporary
    /// file that this process reads back and removes.
    func finishTemporary() throws {
        try drain()
        closed = true
        try Sys.close(fd, path: path)
    }

    /// Appends the footer, fsyncs and closes. Returns the file's total size.
    @discardableResult
    func finish(kind: FileKind) throws -> UInt64 {
        try drain()
        let footer = FileFooter.encode(bodyLength: offset, checksum: crc.value, kind: kind)
        try Sys.writeAll(fd, footer, path: path)
        try Sys.fsync(fd, path: path)
        closed = true
        try Sys.close(fd, path: path)
        return offset + UInt64(footer.count)
    }
}
