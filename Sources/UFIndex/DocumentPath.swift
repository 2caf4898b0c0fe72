/// How a document's path is spelled in the index, so that one file is one document however its
/// path was written on the command line (`corpus/a.txt`, `./corpus/a.txt`, `/home/me/proj/corpus/a.txt`).
///
/// The key of a path is its lexically clean form (no `.` components, no repeated or trailing
/// slashes, `..` taken against the component before it, as Go's `filepath.Clean`), relative to
/// the index's *root* — the folder that holds the index directory — when the file lies under
/// it, else absolute. With the default `index/` in the project folder, files indexed from there
/// keep the spelling they were given (`corpus/a.txt`), from wherever they are named. The root
/// folder itself is ".". Symbolic links are not resolved.
public struct DocumentPath: Sendable, Equatable {
    /// The index's root: absolute and clean.
    public let root: String
    /// The folder relative paths on the command line start from: absolute and clean.
    public let cwd: String

    /// The spelling rule of the index at `indexDirectory`, for paths given in `cwd` (the process's
    /// working directory when nil).
    public init(indexDirectory: String, cwd: String? = nil) throws {
        let here = Self.clean(try cwd ?? Sys.currentDirectory())
        self.cwd = here
        let dir = Self.absolute(indexDirectory, in: here)
        root = dir == "/" ? "/" : Self.parent(dir)
    }

    /// The key of `path`, a path given relative to ``cwd`` (or absolute).
    public func key(_ path: String) -> String { keyOf(Self.absolute(path, in: cwd)) }

    /// The key of a path the index already holds (relative ones are relative to ``root``):
    /// documents written before paths were keyed may be spelled otherwise.
    public func key(stored path: String) -> String { keyOf(Self.absolute(path, in: root)) }

    private func keyOf(_ abs: String) -> String {
        if abs == root { return "." }
        let prefix = root == "/" ? "/" : root + "/"
        return abs.hasPrefix(prefix) ? String(abs.dropFirst(prefix.count)) : abs
    }

    /// `path` made absolute against `dir` (absolute and clean), then cleaned.
    static func absolute(_ path: String, in dir: String) -> String {
        clean(path.hasPrefix("/") ? path : (dir == "/" ? "/" : dir + "/") + path)
    }

    /// The folder holding `path` (absolute and clean, not "/").
    static func parent(_ path: String) -> String {
        let p = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        return "/" + p.joined(separator: "/")
    }

    /// `path` cleaned lexically: "" and "." give ".", `a//b/./c/` gives `a/b/c`, `a/../b` gives
    /// `b`, `/..` gives `/`, and a relative path keeps the `..` it cannot take away.
    public static func clean(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var out = [Substring]()
        for c in path.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == "..", let last = out.last, last != ".." {
                out.removeLast()
            } else if c == "..", absolute, out.isEmpty {
                continue
            } else {
                out.append(c)
            }
        }
        let joined = out.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}
