/// An index directory and the names of the files in it.
///
/// File names (ids and generations as 16 lowercase hex digits, so names sort numerically):
///
///     gen-<generation>.manifest     commit records (the highest complete one is current)
///     seg-<id>.<ext>                segment files; ext from FileKind.fileExtension
///     seg-<id>-<delGeneration>.del  a segment's tombstones as of a delete generation
///     LOCK                          the writer lock (see WriterLock)
///     <name>.tmp-<pid>              a write in progress, or left by a crash
public struct IndexDirectory: Equatable, Sendable {
    /// The directory path as given.
    public let path: String

    /// Wraps `path` (no I/O).
    public init(path: String) {
        self.path = path
    }

    /// Environment variable naming the index directory when `--index` is not given.
    public static let environmentVariable = "UFSEARCH_INDEX"
    /// Index directory used when neither `--index` nor `UFSEARCH_INDEX` is set.
    public static let defaultPath = "index"

    /// The index directory to use: `explicit` (`--index`), else `$UFSEARCH_INDEX`, else `index`.
    /// Empty values count as unset.
    public static func resolve(explicit: String?) -> String {
        resolve(explicit: explicit, environmentValue: Sys.environment(environmentVariable))
    }

    /// ``resolve(explicit:)`` with the environment value passed in (for tests).
    public static func resolve(explicit: String?, environmentValue: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let environmentValue, !environmentValue.isEmpty { return environmentValue }
        return defaultPath
    }

    // MARK: Paths

    /// `path/name`.
    public func join(_ name: String) -> String {
        path.hasSuffix("/") ? path + name : path + "/" + name
    }

    /// Path of segment `id`'s file of `kind`, `seg-<id>.<ext>`.
    public func segmentFilePath(id: UInt64, kind: FileKind) -> String {
        join(IndexDirectory.segmentFileName(id: id, kind: kind))
    }

    /// Path of segment `id`'s tombstone file for delete generation `delGen`.
    public func tombstonePath(id: UInt64, delGen: UInt64) -> String {
        join(IndexDirectory.tombstoneFileName(id: id, delGen: delGen))
    }

    /// Path of the manifest of `generation`.
    public func manifestPath(generation: UInt64) -> String {
        join(IndexDirectory.manifestFileName(generation: generation))
    }

    /// Path of the writer lock file.
    public var lockPath: String { join("LOCK") }

    /// True when the directory exists.
    public var exists: Bool {
        guard let info = try? Sys.stat(path) else { return false }
        return info.isDirectory
    }

    /// Creates the directory and its parents if missing.
    public func create() throws {
        try Sys.mkdirp(path)
    }

    // MARK: Names

    /// `seg-<id>.<ext>`.
    public static func segmentFileName(id: UInt64, kind: FileKind) -> String {
        "seg-\(hex16(id)).\(kind.fileExtension)"
    }

    /// `seg-<id>-<delGen>.del`.
    public static func tombstoneFileName(id: UInt64, delGen: UInt64) -> String {
        "seg-\(hex16(id))-\(hex16(delGen)).\(FileKind.tombstones.fileExtension)"
    }

    /// `gen-<generation>.manifest`.
    public static func manifestFileName(generation: UInt64) -> String {
        "gen-\(hex16(generation)).\(FileKind.manifest.fileExtension)"
    }

    /// `value` as exactly 16 lowercase hex digits.
    public static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Parses exactly 16 lowercase hex digits.
    public static func parseHex16<S: StringProtocol>(_ text: S) -> UInt64? {
        guard text.utf8.count == 16 else { return nil }
        var value: UInt64 = 0
        for c in text.utf8 {
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// What a directory entry is, judged by its name.
    public enum Entry: Equatable, Sendable {
        /// `gen-<generation>.manifest`.
        case manifest(generation: UInt64)
        /// `seg-<id>.<ext>`.
        case segmentFile(id: UInt64, kind: FileKind)
        /// `seg-<id>-<delGeneration>.del`.
        case tombstone(id: UInt64, delGeneration: UInt64)
        /// `<anything>.tmp-<digits>`: an unfinished atomic write.
        case temporary
        /// Anything else (LOCK, notes, …); never touched by garbage collection.
        case other
    }

    /// Classifies a directory entry name.
    public static func classify(_ name: String) -> Entry {
        if AtomicFile.isTemporaryName(name) { return .temporary }
        guard let dot = name.lastIndex(of: ".") else { return .other }
        let stem = name[..<dot]
        let ext = String(name[name.index(after: dot)...])
        if stem.hasPrefix("gen-") {
            guard ext == FileKind.manifest.fileExtension, let gen = parseHex16(stem.dropFirst(4)) else { return .other }
            return .manifest(generation: gen)
        }
        guard stem.hasPrefix("seg-"), let kind = FileKind(fileExtension: ext), kind != .manifest else { return .other }
        let rest = stem.dropFirst(4)
        if let id = parseHex16(rest) { return .segmentFile(id: id, kind: kind) }
        if kind == .tombstones, rest.utf8.count == 33 {
            let idPart = rest.prefix(16)
            let sep = rest.dropFirst(16).prefix(1)
            if sep == "-", let id = parseHex16(idPart), let gen = parseHex16(rest.dropFirst(17)) {
                return .tombstone(id: id, delGeneration: gen)
            }
        }
        return .other
    }

    // MARK: Garbage collection

    /// Deletes files the committed manifest `manifest` no longer needs and returns their names:
    /// segment files of segments it does not list, tombstone files other than each listed
    /// segment's current `delGeneration`, manifests older than the one before `manifest`, and
    /// all `*.tmp-*` files. Manifests newer than `manifest` and unrecognised files are kept.
    ///
    /// Call it while holding the ``WriterLock`` and with no uncommitted segment files being
    /// written (e.g. right after a commit, or when a writer starts: that also clears files left
    /// by a crashed writer, whose ids would otherwise collide with `nextSegmentId`).
    @discardableResult
    public func garbageCollect(keep manifest: Manifest) throws -> [String] {
        let names = try Sys.listDirectory(path)
        var live: [UInt64: UInt64] = [:]  // segment id -> delGeneration
        for segment in manifest.segments { live[segment.id] = segment.delGeneration }
        var previous: UInt64?
        for name in names {
            if case let .manifest(gen) = IndexDirectory.classify(name), gen < manifest.generation {
                previous = Swift.max(previous ?? gen, gen)
            }
        }
        var removed: [String] = []
        for name in names {
            let remove: Bool
            switch IndexDirectory.classify(name) {
            case .temporary:
                remove = true
            case let .manifest(gen):
                remove = gen < manifest.generation && gen != previous
            case let .segmentFile(id, _):
                remove = live[id] == nil
            case let .tombstone(id, delGen):
                remove = live[id] != delGen
            case .other:
                remove = false
            }
            if remove {
                try Sys.unlink(join(name), ignoreMissing: true)
                removed.append(name)
            }
        }
        if !removed.isEmpty { try Sys.fsyncDirectory(path) }
        return removed
    }
}
