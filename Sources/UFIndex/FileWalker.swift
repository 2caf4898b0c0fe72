/// A file found under the paths given on the command line.
public struct FoundFile: Sendable, Equatable {
    /// The path as reached from the command-line argument (as ripgrep prints it); the writer
    /// replaces it with the document's key (``DocumentPath``).
    public var path: String
    /// Where the file is read from: the path as reached.
    public var source: String
    /// Size in bytes.
    public var size: Int64
    /// Modification time, nanoseconds since the epoch.
    public var mtimeNanos: Int64
}

/// Walks files and folders the way ripgrep reaches them: a file argument is taken as it is,
/// a folder is walked recursively in name order, skipping hidden entries (names starting with
/// a dot). Paths keep the argument's spelling: `corpus` gives `corpus/a.txt` (the writer then
/// keys them, ``DocumentPath``).
public enum FileWalker {
    /// Files under `roots`, plus the problems met on the way (unreadable entries). A file
    /// reached twice is listed twice; the writer keeps one per key (``DocumentPath``).
    public static func walk(_ roots: [String]) throws -> (files: [FoundFile], problems: [(path: String, message: String)]) {
        var files = [FoundFile]()
        var problems = [(path: String, message: String)]()
        for root in roots {
            guard let st = try Sys.stat(root) else {
                throw IndexError.badInput(path: root, reason: "no such file or directory")
            }
            if st.isDirectory {
                walkDirectory(normalizeRoot(root), &files, &problems)
            } else if st.isRegular {
                files.append(FoundFile(path: root, source: root, size: st.size, mtimeNanos: st.mtimeNanos))
            } else {
                throw IndexError.badInput(path: root, reason: "not a regular file or folder")
            }
        }
        return (files, problems)
    }

    /// The root as it prefixes walked paths: without trailing slashes (but "/" stays "/").
    public static func normalizeRoot(_ root: String) -> String {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        return r
    }

    /// True when `path` is `root` itself or lies under it (every relative path lies under ".").
    public static func isUnder(_ path: String, root: String) -> Bool {
        let r = normalizeRoot(root)
        if path == r { return true }
        if r == "." { return !path.hasPrefix("/") }
        return path.hasPrefix(r == "/" ? "/" : r + "/")
    }

    private static func walkDirectory(_ dir: String, _ files: inout [FoundFile], _ problems: inout [(path: String, message: String)]) {
        let names: [String]
        do {
            names = try Sys.listDirectory(dir).sorted()
        } catch {
            problems.append((dir, "\(error)"))
            return
        }
        for name in names where !name.hasPrefix(".") {
            let p = dir == "/" ? "/" + name : dir + "/" + name
            do {
                guard let st = try Sys.stat(p) else { continue }
                if st.isDirectory {
                    walkDirectory(p, &files, &problems)
                } else if st.isRegular {
                    files.append(FoundFile(path: p, source: p, size: st.size, mtimeNanos: st.mtimeNanos))
                }
            } catch {
                problems.append((p, "\(error)"))
            }
        }
    }
}
