/// A read-only, memory-mapped view of a whole file.
///
/// Opening costs one `open`, one `fstat` and one `mmap` regardless of the file's size; pages are
/// faulted in lazily as readers touch them. The descriptor is closed right after mapping (the
/// mapping stays valid). Index files are immutable once written, so the bytes never change under
/// a reader. An empty file yields an empty buffer without calling `mmap`.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened from (used in error messages).
    public let path: String
    /// The mapped bytes; valid for the lifetime of this object.
    public let bytes: UnsafeRawBufferPointer

    /// Number of bytes in the file.
    public var count: Int { bytes.count }

    /// Opens and maps `path`. Throws `IndexError.io` when the file cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        let fd = try Sys.openRead(path)
        defer { try? Sys.close(fd, path: path) }
        let size = try Sys.fileSize(fd, path: path)
        guard let length = Int(exactly: size), length >= 0 else {
            throw IndexError.corrupt(file: path, detail: "file size \(size) does not fit in memory")
        }
        if length == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        } else {
            let base = try Sys.mmap(fd, length: length, path: path)
            bytes = UnsafeRawBufferPointer(start: base, count: length)
        }
    }

    /// A bounds-checked reader over the whole file.
    public func reader() -> ByteReader {
        ByteReader(bytes, file: path)
    }

    deinit {
        if let base = bytes.baseAddress, bytes.count > 0 {
            Sys.munmap(base, length: bytes.count)
        }
    }
}
