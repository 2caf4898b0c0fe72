import Dispatch
import FoundationEssentials
import UFAnalysis

/// Settings of an index writer.
public struct IndexOptions: Sendable {
    /// Flush a segment when the in-memory buffers pass this many bytes (all threads together).
    public var ramBudget: Int = 256 << 20
    /// Analysis threads (segmentation is the bottleneck).
    public var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Wait for another writer to finish instead of failing at once.
    public var waitForLock = false
    /// How long to wait for the lock.
    public var lockTimeout: Duration = .seconds(600)
    /// Merge policy.
    public var mergePolicy = MergePolicy()
    /// Largest file indexed, in bytes.
    public var maxFileBytes = 256 << 20

    /// Defaults.
    public init() {}
}

/// Progress of an indexing run.
public struct IndexProgress: Sendable {
    /// Files handled so far.
    public var filesDone = 0
    /// Files to handle.
    public var filesTotal = 0
    /// Bytes read so far.
    public var bytesDone: Int64 = 0
    /// Bytes to read.
    public var bytesTotal: Int64 = 0
}

/// What a writer run changed.
public struct ChangeSummary: Sendable, Equatable {
    /// New documents.
    public var added = 0
    /// Documents replaced by a changed file.
    public var replaced = 0
    /// Documents removed.
    public var removed = 0
    /// Files already indexed and unchanged.
    public var unchanged = 0
    /// Files skipped (binary, unreadable, too large).
    public var skipped = 0
    /// Bytes of text analysed.
    public var bytesIndexed: Int64 = 0
    /// The generation committed (the previous one when nothing changed).
    public var generation: UInt64 = 0
    /// True when a new generation was committed.
    public var committed = false
}

/// The single writer of an index: it holds the directory's lock from `init` until it is
/// released, brings the index in line with files (`sync`, `add`, `remove`), and commits
/// atomically (segments, then tombstones, then the manifest by rename).
public final class IndexWriter {
    /// The index directory.
    public let directory: IndexDirectory
    /// Options.
    public let options: IndexOptions
    private let lock: WriterLock
    private var manifest: Manifest
    /// How documents' paths are keyed.
    public let paths: DocumentPath
    /// Warnings (skipped files and the like): path and message. Called from worker threads, serially.
    public var onWarning: (@Sendable (String, String) -> Void)?
    /// Progress reports. Called from worker threads, serially.
    public var onProgress: (@Sendable (IndexProgress) -> Void)?

    /// Opens (creating when needed) the index at `path` for writing.
    public init(path: String, options: IndexOptions = IndexOptions()) throws {
        directory = IndexDirectory(path: path)
        paths = try DocumentPath(indexDirectory: path)
        self.options = options
        if !directory.exists { try directory.create() }
        lock = try WriterLock.acquire(indexDirectory: path, wait: options.waitForLock,
                                      timeout: options.waitForLock ? options.lockTimeout : nil)
        manifest = try Manifest.latest(in: path)?.manifest ?? Manifest()
        // Files of a writer that died before committing are unreferenced: remove them now.
        _ = try directory.garbageCollect(keep: manifest)
    }

    /// Releases the lock.
    public func close() { lock.release() }

    deinit { lock.release() }

    /// The last committed generation.
    public var generation: UInt64 { manifest.generation }

    // MARK: - Commands

    /// Brings the index in line with the files under `roots`: new files are added, changed
    /// files (size, mtime, then hash) replaced, and documents under the roots whose files
    /// are gone removed. A file read within ``DocumentInfo/racyMarginNanos`` of its last
    /// change is compared by content (``DocumentInfo/unknownMtime``).
    public func sync(roots: [String]) throws -> ChangeSummary {
        let (files, problems) = try walk(roots)
        let existing = try existingDocuments()
        var seen = Set(files.map(\.path))
        for p in problems { seen.insert(p.path) }
        var deletes = [String]()
        let rootKeys = roots.map { paths.key($0) }
        for (path, _) in existing where !seen.contains(path) {
            if rootKeys.contains(where: { FileWalker.isUnder(path, root: $0) }),
               !problems.contains(where: { FileWalker.isUnder(path, root: $0.path) }) {
                deletes.append(path)
            }
        }
        var jobs = [FoundFile]()
        var unchanged = 0
        for f in files {
            if let e = existing[f.path], e.info.size == UInt64(f.size), e.info.mtimeNanos == f.mtimeNanos {
                unchanged += 1
            } else {
                jobs.append(f)
            }
        }
        var summary = try apply(jobs: jobs, deletes: deletes, existing: existing)
        summary.unchanged += unchanged
        return summary
    }

    /// Rebuilds the index from the files under `roots` alone: every document it held, wherever
    /// from, is dropped, and the files are indexed anew and committed as one generation (the old
    /// segments are not read, so this works on an index written in a format this build cannot
    /// read; readers keep the old generation until the commit lands, and a failed rebuild leaves
    /// it as it was).
    public func rebuild(roots: [String]) throws -> ChangeSummary {
        try apply(jobs: try walk(roots).files, deletes: [], existing: [:], droppingAll: true)
    }

    /// Adds or replaces files (folders are walked).
    public func add(paths: [String]) throws -> ChangeSummary {
        try apply(jobs: try walk(paths).files, deletes: [], existing: try existingDocuments())
    }

    /// The files under `roots`, keyed (``DocumentPath``), and what could not be read there (each
    /// reported as a warning).
    private func walk(_ roots: [String]) throws -> (files: [FoundFile], problems: [(path: String, message: String)]) {
        let found = try FileWalker.walk(roots)
        for p in found.problems { onWarning?(p.path, p.message) }
        // One file reached twice (`index docs docs`, `index corpus ./corpus`) is one document;
        // the index's own files are none (`index .`).
        var seen = Set<String>()
        let own = paths.key(directory.path)
        let files = found.files.compactMap { f -> FoundFile? in
            var k = f
            k.path = paths.key(f.path)
            return !FileWalker.isUnder(k.path, root: own) && seen.insert(k.path).inserted ? k : nil
        }
        return (files, found.problems.map { (paths.key($0.path), $0.message) })
    }

    /// Removes the documents at these paths (a folder removes everything under it).
    /// Returns the summary; `removed` is 0 when nothing matched.
    public func remove(paths: [String]) throws -> ChangeSummary {
        let existing = try existingDocuments()
        let keys = paths.map { self.paths.key($0) }
        let deletes = existing.keys.filter { p in keys.contains { FileWalker.isUnder(p, root: $0) } }
        return try apply(jobs: [], deletes: deletes.sorted(), existing: existing)
    }

    /// Merges all segments into one (tombstoned documents are dropped).
    public func forceMerge() throws -> ChangeSummary {
        var s = ChangeSummary()
        if manifest.segments.count > 1 || manifest.segments.contains(where: { $0.deletedCount > 0 }) {
            try merge(indices: Array(manifest.segments.indices))
            s.committed = true
        }
        s.generation = manifest.generation
        return s
    }

    // MARK: - Applying changes

    struct Existing { var segment: Int; var local: Int; var info: DocumentInfo }

    /// Every live document by key (``DocumentPath``: a document stored under another spelling
    /// of its path by an earlier build is found under its key).
    private func existingDocuments() throws -> [String: Existing] {
        var out = [String: Existing]()
        for (si, e) in manifest.segments.enumerated() {
            let r = try SegmentReader(directory: directory, entry: e)
            for d in 0..<r.docCount where !r.isDeleted(d) {
                let info = try r.info(d)
                out[paths.key(stored: info.path)] = Existing(segment: si, local: d, info: info)
            }
        }
        return out
    }

    /// Indexes `jobs`, deletes `deletes` and commits (unless nothing changed). With `droppingAll`
    /// (a rebuild), the commit holds the new segments alone and always lands.
    private func apply(jobs: [FoundFile], deletes: [String], existing: [String: Existing], droppingAll: Bool = false) throws -> ChangeSummary {
        var summary = ChangeSummary()
        let result = try indexFiles(jobs, existing: existing)
        summary.added = result.added
        summary.replaced = result.replaced.count
        summary.unchanged = result.unchanged
        summary.skipped = result.skipped
        summary.bytesIndexed = result.bytes
        var toDelete = [Existing]()
        for p in result.replaced { if let e = existing[p] { toDelete.append(e) } }
        for p in deletes + result.stale { if let e = existing[p] { toDelete.append(e) } }
        summary.removed = droppingAll ? manifest.segments.reduce(0) { $0 + Int($1.docCount) - Int($1.deletedCount) }
            : (deletes + result.stale).filter { existing[$0] != nil }.count
        if result.segments.isEmpty && toDelete.isEmpty && !droppingAll {
            summary.generation = manifest.generation
            return summary
        }
        try commit(newSegments: result.segments, deletions: toDelete, droppingAll: droppingAll)
        summary.committed = true
        try maybeMerge()
        summary.generation = manifest.generation
        return summary
    }

    /// Writes tombstones and the new manifest. Segments in `newSegments` are already durable.
    /// With `droppingAll`, the new manifest holds `newSegments` alone.
    private func commit(newSegments: [SegmentEntry], deletions: [Existing], replacing: (indices: [Int], with: SegmentEntry)? = nil,
                        droppingAll: Bool = false) throws {
        var next = manifest
        next.generation += 1
        if droppingAll { next.segments = [] }
        let gen = next.generation
        // Tombstones, per segment.
        var bySegment = [Int: [Existing]]()
        for d in deletions { bySegment[d.segment, default: []].append(d) }
        var written = [String]()
        for (si, dels) in bySegment {
            var entry = next.segments[si]
            let reader = try SegmentReader(directory: directory, entry: entry)
            var t = reader.tombstones ?? Tombstones(docCount: reader.docCount)
            var removedTokens: UInt64 = 0
            for d in dels where !t.contains(d.local) {
                t.insert(d.local)
                removedTokens += UInt64(d.info.length)
            }
            entry.deletedCount = UInt32(t.count)
            entry.liveTokenCount = entry.liveTokenCount >= removedTokens ? entry.liveTokenCount - removedTokens : 0
            entry.delGeneration = gen
            if entry.deletedCount < entry.docCount {
                var w = t.body()
                FileFooter.append(to: &w, kind: .tombstones)
                let path = directory.tombstonePath(id: entry.id, delGen: gen)
                try AtomicFile.writeDurable(w.buffer, to: path)
                written.append(path)
                entry.fileSizes[FileKind.tombstones.rawValue] = UInt64(w.buffer.count)
            }
            next.segments[si] = entry
        }
        if let r = replacing {
            let first = r.indices.min()!
            var segs = [SegmentEntry]()
            for (i, s) in next.segments.enumerated() {
                if i == first { segs.append(r.with) }
                if !r.indices.contains(i) { segs.append(s) }
            }
            next.segments = segs
        }
        next.segments.append(contentsOf: newSegments)
        // Segments with every document deleted leave the index.
        next.segments.removeAll { $0.docCount > 0 && $0.deletedCount >= $0.docCount }
        if !written.isEmpty { try Sys.fsyncDirectory(directory.path) }
        _ = try Manifest.commit(next, to: directory.path)
        manifest = next
        _ = try directory.garbageCollect(keep: manifest)
    }

    private func maybeMerge() throws {
        while let group = options.mergePolicy.pick(manifest.segments) {
            try merge(indices: group)
        }
    }

    private func merge(indices: [Int]) throws {
        let readers = try indices.map { try SegmentReader(directory: directory, entry: manifest.segments[$0]) }
        let id = manifest.nextSegmentId
        manifest.nextSegmentId += 1
        let entry = try SegmentMerger.merge(readers, into: directory, id: id, threads: options.threads)
        try commit(newSegments: [], deletions: [], replacing: (indices, entry))
    }

    // MARK: - Parallel indexing

    struct IndexResult {
        var segments: [SegmentEntry] = []
        var added = 0
        var replaced: [String] = []
        /// Indexed paths whose file can no longer be indexed (now binary or too large).
        var stale: [String] = []
        var unchanged = 0
        var skipped = 0
        var bytes: Int64 = 0
    }

    private func indexFiles(_ jobs: [FoundFile], existing: [String: Existing]) throws -> IndexResult {
        guard !jobs.isEmpty else { return IndexResult() }
        let lock = Lock()
        var next = 0
        var result = IndexResult()
        var firstError: Error?
        var progress = IndexProgress(filesTotal: jobs.count, bytesTotal: jobs.reduce(0) { $0 + $1.size })
        let threads = max(1, min(options.threads, jobs.count))
        let budget = max(1 << 20, options.ramBudget / threads)
        let maxBytes = options.maxFileBytes
        let directory = self.directory
        let warn = onWarning
        let report = onProgress
        var nextSegmentId = manifest.nextSegmentId
        func allocateSegmentId() -> UInt64 {
            lock.lock(); defer { lock.unlock() }
            let id = nextSegmentId
            nextSegmentId += 1
            return id
        }

        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let analyzer: Analyzer
            do { analyzer = try Analyzer() } catch {
                lock.lock(); firstError = firstError ?? error; lock.unlock(); return
            }
            var buffer = SegmentBuffer(logBytes: budget)
            var local = IndexResult()
            func flush() throws {
                guard buffer.docCount > 0 else { return }
                let id = allocateSegmentId()
                let (entry, next) = try SegmentWriter.write(buffer, directory: directory, id: id)
                local.segments.append(entry)
                buffer = next
            }
            while true {
                lock.lock()
                if firstError != nil { lock.unlock(); break }
                let i = next
                next += 1
                lock.unlock()
                if i >= jobs.count { break }
                let f = jobs[i]
                do {
                    try Self.indexOne(f, analyzer: analyzer, buffer: buffer, existing: existing[f.path]?.info,
                                      maxBytes: maxBytes, result: &local, warn: { p, m in
                                          lock.lock(); warn?(p, m); lock.unlock()
                                      })
                    if buffer.memoryBytes > budget { try flush() }
                } catch {
                    lock.lock(); firstError = firstError ?? error; lock.unlock()
                    break
                }
                lock.lock()
                progress.filesDone += 1
                progress.bytesDone += f.size
                report?(progress)
                lock.unlock()
            }
            do { if firstError == nil { try flush() } } catch {
                lock.lock(); firstError = firstError ?? error; lock.unlock()
            }
            lock.lock()
            result.segments.append(contentsOf: local.segments)
            result.added += local.added
            result.replaced.append(contentsOf: local.replaced)
            result.stale.append(contentsOf: local.stale)
            result.unchanged += local.unchanged
            result.skipped += local.skipped
            result.bytes += local.bytes
            lock.unlock()
        }
        if let e = firstError {
            // Nothing was committed: remove what this run wrote.
            for s in result.segments {
                for k in [FileKind.terms, .postings, .positions, .docs, .store] {
                    try? Sys.unlink(directory.segmentFilePath(id: s.id, kind: k), ignoreMissing: true)
                }
            }
            throw e
        }
        manifest.nextSegmentId = nextSegmentId
        result.segments.sort { $0.id < $1.id }
        try Sys.fsyncDirectory(directory.path)
        return result
    }

    private static func indexOne(_ f: FoundFile, analyzer: Analyzer, buffer: SegmentBuffer, existing: DocumentInfo?,
                                 maxBytes: Int, result: inout IndexResult, warn: (String, String) -> Void) throws {
        if f.size > Int64(maxBytes) {
            warn(f.source, "skipped: too large (\(f.size) bytes, at most \(maxBytes))" + (existing != nil ? "; its old text leaves the index" : ""))
            result.skipped += 1
            if existing != nil { result.stale.append(f.path) }
            return
        }
        let bytes: [UInt8]
        let readAt = Sys.realTimeNanos()
        do { bytes = try Sys.readAll(f.source) } catch {
            warn(f.source, "skipped: \(error)")
            result.skipped += 1
            return
        }
        let hash = Checksum.contentHash(bytes)
        if let e = existing, e.hash == hash, e.size == UInt64(bytes.count) {
            result.unchanged += 1
            return
        }
        let decoded: DecodedText
        do { decoded = try bytes.withUnsafeBytes { try DecodedText.decode($0) } } catch let e as AnalysisError {
            warn(f.source, "skipped: \(e)" + (existing != nil ? "; its old text leaves the index" : ""))
            result.skipped += 1
            if existing != nil { result.stale.append(f.path) }
            return
        }
        let analysis = analyzer.analyze(decoded: decoded)
        // The title is the first line as people wrote it (decoded, not normalised).
        let title = DocumentFacts.title(of: Array(decoded.utf16.prefix(4096)))
        let mtime = f.mtimeNanos > readAt - DocumentInfo.racyMarginNanos ? DocumentInfo.unknownMtime : f.mtimeNanos
        let info = DocumentInfo(path: f.path, title: title, size: UInt64(bytes.count), mtimeNanos: mtime,
                                hash: hash, year: DocumentFacts.year(title: title, path: f.path, text: analysis.normalized.text),
                                encoding: analysis.encoding, length: 0)
        _ = try bytes.withUnsafeBytes { try buffer.add(info: info, analysis: analysis, original: $0) }
        if existing != nil { result.replaced.append(f.path) } else { result.added += 1 }
        result.bytes += Int64(bytes.count)
    }
}
