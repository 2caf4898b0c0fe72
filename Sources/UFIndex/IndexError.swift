/// Errors raised by the on-disk index layer.
///
/// Every case renders as a single line through ``description`` so the CLI can print it
/// verbatim after `error: `.
public enum IndexError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed. `op` is a verb phrase ("open", "fsync", "rename", …), `errno` the
    /// C error number; rendered as `cannot open index/seg-1.post: No such file or directory`.
    case io(path: String, errno: Int32, op: String)
    /// An index file's bytes violate the format (bad checksum, out-of-range offset, truncated
    /// data, …); rendered as `index file index/seg-3.post is corrupt: checksum mismatch`.
    case corrupt(file: String, detail: String)
    /// An index file carries a format version this build cannot read.
    case unsupportedVersion(file: String, found: UInt16, expected: UInt16)
    /// The index directory holds no committed manifest.
    case missingIndex(path: String)
    /// Another writer holds the index lock file at `path`.
    case locked(path: String)
    /// An input document or argument was rejected (unreadable encoding, oversize file, …).
    case badInput(path: String, reason: String)

    /// A one-line, human-readable rendering of the error.
    public var description: String {
        let text: String
        switch self {
        case let .io(path, errno, op):
            text = "cannot \(op) \(path): \(Sys.errorString(errno))"
        case let .corrupt(file, detail):
            text = "index file \(file) is corrupt: \(detail)"
        case let .unsupportedVersion(file, found, expected):
            text = "index file \(file) has format version \(found), this build reads version \(expected) (rebuild the index with `ufsearch index --rebuild`)"
        case let .missingIndex(path):
            text = "no index at \(IndexError.displayDirectory(path)) (run `ufsearch index` first)"
        case let .locked(path):
            text = "another ufsearch writer holds \(path)"
        case let .badInput(path, reason):
            text = "cannot use \(path): \(reason)"
        }
        return IndexError.singleLine(text)
    }

    /// Renders a directory with a trailing slash, as in `no index at index/`.
    static func displayDirectory(_ path: String) -> String {
        path.hasSuffix("/") ? path : path + "/"
    }

    /// Replaces line breaks so the message always fits on one line.
    static func singleLine(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline }) else { return text }
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}
