// Manifest: the commit record of an index.
//
// A commit writes `gen-<generation as 16 hex digits>.manifest` through AtomicFile.write
// (temporary file, fsync, rename, fsync directory). The current state of the index is the
// manifest with the highest generation; a final-named manifest is always complete, so one that
// fails validation is reported as corruption (there is no fallback). Integers are little-endian;
// varint is unsigned LEB128; strings are UTF-8.
//
//   manifest   := body footer(kind = 1 manifest)
//   body       := generation:u64le nextSegmentId:u64le
//                 segmentCount:varint segment*segmentCount
//                 userCount:varint userPair*userCount
//   segment    := id:u64le docCount:u32le deletedCount:u32le delGeneration:u64le
//                 liveTokenCount:u64le sizeCount:varint fileSize*sizeCount
//   fileSize   := kind:u16le bytes:u64le          (ascending kind, no duplicates)
//   userPair   := key:string value:string         (ascending key bytes, no duplicate keys)
//   string     := length:varint utf8Bytes*length
//
// Constraints checked when loading: generation equals the one in the file name; segment ids are
// unique and below nextSegmentId; deletedCount <= docCount; no duplicate fileSize kinds or user
// keys; valid UTF-8; no bytes after the last userPair.
//
// Segments are listed in doc-id order: a document's global id is the sum of the docCounts of the
// segments before its segment, plus its local id.

/// The commit record: which segments make up the index at one generation.
public struct Manifest: Equatable, Sendable {
    /// Commit generation; each commit writes generation + 1.
    public var generation: UInt64
    /// Id to give the next new segment.
    public var nextSegmentId: UInt64
    /// Segments in doc-id order (global doc id = sum of earlier `docCount`s + local id).
    public var segments: [SegmentEntry]
    /// Free-form key/value notes (format notes, analyzer version, …).
    public var userData: [String: String]

    /// Creates a manifest; the defaults describe an empty index before its first commit.
    public init(generation: UInt64 = 0, nextSegmentId: UInt64 = 1, segments: [SegmentEntry] = [], userData: [String: String] = [:]) {
        self.generation = generation
        self.nextSegmentId = nextSegmentId
        self.segments = segments
        self.userData = userData
    }

    /// Documents over all segments, including deleted ones (the global doc-id space).
    public var totalDocCount: UInt64 { segments.reduce(0) { $0 &+ UInt64($1.docCount) } }

    /// Live (not deleted) documents over all segments.
    public var liveDocCount: UInt64 { segments.reduce(0) { $0 &+ UInt64($1.liveDocCount) } }

    /// Sum of live document lengths over all segments.
    public var liveTokenCount: UInt64 { segments.reduce(0) { $0 &+ $1.liveTokenCount } }

    /// Global doc id of the first document of `segments[index]`.
    public func docBase(ofSegmentAt index: Int) -> UInt64 {
        segments[..<index].reduce(0) { $0 &+ UInt64($1.docCount) }
    }

    /// File name of the manifest of `generation`.
    public static func fileName(generation: UInt64) -> String {
        IndexDirectory.manifestFileName(generation: generation)
    }

    // MARK: Encoding

    /// The complete file contents (body and footer). Deterministic: map entries are sorted.
    public func serialized() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + segments.count * 80)
        w.u64LE(generation)
        w.u64LE(nextSegmentId)
        w.varint(UInt64(segments.count))
        for s in segments {
            w.u64LE(s.id)
            w.u32LE(s.docCount)
            w.u32LE(s.deletedCount)
            w.u64LE(s.delGeneration)
            w.u64LE(s.liveTokenCount)
            w.varint(UInt64(s.sortedFileSizes.count))
            for f in s.sortedFileSizes {
                w.u16LE(f.kind)
                w.u64LE(f.size)
            }
        }
        w.varint(UInt64(userData.count))
        for (key, value) in userData.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            w.string(key)
            w.string(value)
        }
        FileFooter.append(to: &w, kind: .manifest)
        return w.buffer
    }

    /// Decodes and validates a whole manifest file (footer, checksum and constraints).
    public static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> Manifest {
        let body = try FileFooter.validate(bytes, file: file, kind: .manifest, verifyChecksum: true)
        var r = ByteReader(body, file: file)
        var m = Manifest()
        m.generation = try r.u64LE()
        m.nextSegmentId = try r.u64LE()
        let segmentCount = try r.varintInt()
        // Each segment takes at least 33 bytes: reject absurd counts before allocating.
        guard segmentCount <= r.remaining / 33 else {
            throw r.corrupt("segment count \(segmentCount) exceeds the bytes left")
        }
        m.segments.reserveCapacity(segmentCount)
        for _ in 0 ..< segmentCount {
            var s = SegmentEntry(id: try r.u64LE(), docCount: try r.u32LE())
            s.deletedCount = try r.u32LE()
            s.delGeneration = try r.u64LE()
            s.liveTokenCount = try r.u64LE()
            let sizeCount = try r.varintInt()
            guard sizeCount <= r.remaining / 10 else {
                throw r.corrupt("file size count \(sizeCount) of segment \(s.id) exceeds the bytes left")
            }
            for _ in 0 ..< sizeCount {
                let kind = try r.u16LE()
                let size = try r.u64LE()
                guard s.addFileSize(size, kind: kind) else {
                    throw r.corrupt("segment \(s.id) lists file kind \(kind) twice")
                }
            }
            m.segments.append(s)
        }
        let userCount = try r.varintInt()
        guard userCount <= r.remaining / 2 else {
            throw r.corrupt("user data count \(userCount) exceeds the bytes left")
        }
        for _ in 0 ..< userCount {
            let key = try r.string()
            let value = try r.string()
            guard m.userData.updateValue(value, forKey: key) == nil else {
                throw r.corrupt("user data key \"\(key)\" appears twice")
            }
        }
        guard r.isAtEnd else {
            throw r.corrupt("\(r.remaining) unexpected bytes after the manifest body")
        }
        try m.validate(file: file)
        return m
    }

    /// Checks the constraints listed in the format (unique ids below `nextSegmentId`,
    /// `deletedCount <= docCount`); throws `IndexError.corrupt` naming `file`.
    public func validate(file: String) throws {
        // Ids checked against the earlier ones by a linear search, not a Set<UInt64>: a manifest
        // lists a few dozen segments, and a Set's first use in a process costs a run-time
        // conformance lookup (tens of µs) on every query's start.
        for (i, s) in segments.enumerated() {
            guard !segments[..<i].contains(where: { $0.id == s.id }) else {
                throw IndexError.corrupt(file: file, detail: "segment \(s.id) is listed twice")
            }
            guard s.id < nextSegmentId else {
                throw IndexError.corrupt(file: file, detail: "segment id \(s.id) is not below nextSegmentId \(nextSegmentId)")
            }
            guard s.deletedCount <= s.docCount else {
                throw IndexError.corrupt(
                    file: file, detail: "segment \(s.id) has \(s.deletedCount) deletions but only \(s.docCount) documents")
            }
        }
    }

    // MARK: Files

    /// Reads and decodes the manifest at `path`.
    public static func load(path: String) throws -> Manifest {
        let bytes = try Sys.readAll(path)
        return try bytes.withUnsafeBytes { try decode($0, file: path) }
    }

    /// The current manifest of `dir`: the one with the highest generation, and its path.
    /// Temporary files are ignored. Returns nil when the directory does not exist or holds no
    /// manifest. A corrupt highest manifest throws `IndexError.corrupt` naming it.
    public static func latest(in dir: String) throws -> (manifest: Manifest, path: String)? {
        let directory = IndexDirectory(path: dir)
        guard directory.exists else { return nil }
        var best: UInt64?
        for name in try Sys.listDirectory(dir) {
            if case let .manifest(gen) = IndexDirectory.classify(name) {
                best = Swift.max(best ?? gen, gen)
            }
        }
        guard let generation = best else { return nil }
        let path = directory.manifestPath(generation: generation)
        let manifest = try load(path: path)
        guard manifest.generation == generation else {
            throw IndexError.corrupt(
                file: path, detail: "file name says generation \(generation) but the contents say \(manifest.generation)")
        }
        return (manifest, path)
    }

    /// Durably commits `manifest` (whose `generation` the caller has already advanced) as
    /// `gen-<generation>.manifest` in `dir` and returns its path. Segment files it references
    /// must already be fsynced. Throws `IndexError.badInput` if the manifest violates the
    /// format's constraints or that generation already exists.
    @discardableResult
    public static func commit(_ manifest: Manifest, to dir: String) throws -> String {
        let path = IndexDirectory(path: dir).manifestPath(generation: manifest.generation)
        do {
            try manifest.validate(file: path)
        } catch let IndexError.corrupt(_, detail) {
            throw IndexError.badInput(path: path, reason: "refusing to commit an invalid manifest: \(detail)")
        }
        if try Sys.stat(path) != nil {
            throw IndexError.badInput(path: path, reason: "manifest generation \(manifest.generation) already exists")
        }
        try AtomicFile.write(manifest.serialized(), to: path)
        return path
    }
}
