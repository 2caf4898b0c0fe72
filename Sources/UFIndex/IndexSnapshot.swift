/// A consistent, read-only view of the index as of one commit: the latest complete manifest
/// and its segments, mapped. Readers never take the writer's lock; a writer that commits later
/// does not disturb an open snapshot (its files stay mapped until the snapshot is released).
public final class IndexSnapshot: @unchecked Sendable {
    /// The index directory.
    public let directory: IndexDirectory
    /// The manifest this snapshot was opened from.
    public let manifest: Manifest
    /// The path of that manifest file.
    public let manifestPath: String
    /// Open segments, in manifest (doc id) order.
    public let segments: [SegmentReader]
    /// Global doc id of each segment's first document.
    public let bases: [Int]

    private init(directory: IndexDirectory, manifest: Manifest, manifestPath: String, segments: [SegmentReader]) {
        self.directory = directory
        self.manifest = manifest
        self.manifestPath = manifestPath
        self.segments = segments
        var b = [Int]()
        var acc = 0
        for s in segments { b.append(acc); acc += s.docCount }
        bases = b
    }

    /// Opens the latest commit in `path`. Throws `IndexError.missingIndex` when there is none.
    /// With `verify`, every file's checksum is checked (what `ufsearch check` does).
    public static func open(_ path: String, verify: Bool = false) throws -> IndexSnapshot {
        let dir = IndexDirectory(path: path)
        var attempt = 0
        while true {
            attempt += 1
            guard let (manifest, mpath) = try Manifest.latest(in: path) else {
                throw IndexError.missingIndex(path: path)
            }
            do {
                let segs = try manifest.segments.map { try SegmentReader(directory: dir, entry: $0, verify: verify) }
                return IndexSnapshot(directory: dir, manifest: manifest, manifestPath: mpath, segments: segs)
            } catch IndexError.io(_, let e, _) where e == 2 /* ENOENT */ && attempt < 5 {
                // A writer committed and collected files between our manifest read and the opens: retry.
                continue
            }
        }
    }

    /// The commit generation.
    public var generation: UInt64 { manifest.generation }
    /// Documents not deleted.
    public var liveDocCount: Int { Int(manifest.liveDocCount) }
    /// Average document length (ICU words) over live documents.
    public var averageLength: Double {
        let n = manifest.liveDocCount
        return n == 0 ? 0 : Double(manifest.liveTokenCount) / Double(n)
    }
    /// All documents, deleted ones included (the global id space).
    public var docCount: Int { (bases.last ?? 0) + (segments.last?.docCount ?? 0) }

    /// The segment index and local id of global document `id`, or nil when out of range.
    public func locate(_ id: Int) -> (segment: Int, local: Int)? {
        guard id >= 0 else { return nil }
        var lo = 0, hi = segments.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if bases[mid] <= id { lo = mid + 1 } else { hi = mid }
        }
        let s = lo - 1
        guard s >= 0, id - bases[s] < segments[s].docCount else { return nil }
        return (s, id - bases[s])
    }

    /// Every live document: (global id, info), in id order.
    public func liveDocuments() throws -> [(id: Int, info: DocumentInfo)] {
        var out = [(id: Int, info: DocumentInfo)]()
        for (si, s) in segments.enumerated() {
            for d in 0..<s.docCount where !s.isDeleted(d) {
                out.append((bases[si] + d, try s.info(d)))
            }
        }
        return out
    }

    /// The live document with this path, if any: spelled as the index holds it, or naming the
    /// same file from the working directory (its key, ``DocumentPath``).
    public func document(path: String) throws -> Int? {
        let key = try DocumentPath(indexDirectory: directory.path).key(path)
        var byKey: Int? = nil
        for (si, s) in segments.enumerated() {
            for d in 0..<s.docCount where !s.isDeleted(d) {
                let p = try s.info(d).path
                if p == path { return bases[si] + d }
                if byKey == nil && p == key { byKey = bases[si] + d }
            }
        }
        return byKey
    }

    /// Checks every file's checksum and every structure (terms, postings, positions, documents,
    /// store blocks) by reading all of it. Throws the first problem found, naming the file.
    public func verifyAll() throws {
        for s in segments {
            try s.verifyStructure()
        }
    }
}
