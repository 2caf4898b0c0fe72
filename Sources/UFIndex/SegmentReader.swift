
/// One open segment: its files mapped, nothing read beyond their footers and trailers, so
/// opening costs the same whatever the segment's size.
public final class SegmentReader: @unchecked Sendable {
    /// The manifest entry this reader was opened from.
    public let entry: SegmentEntry
    /// The term dictionary.
    public let terms: TermDictionaryReader
    /// The document table.
    public let docs: DocTableReader
    /// The document store.
    public let store: DocStoreReader
    /// Deleted documents (nil when none).
    public let tombstones: Tombstones?
    let postFile: MappedFile
    let posFile: MappedFile
    let postBody: UnsafeRawBufferPointer
    let posBody: UnsafeRawBufferPointer
    private let files: [MappedFile]

    /// Opens segment `entry` in `directory`. With `verify`, every file's checksum is checked.
    public init(directory: IndexDirectory, entry: SegmentEntry, verify: Bool = false) throws {
        self.entry = entry
        func open(_ kind: FileKind) throws -> (MappedFile, UnsafeRawBufferPointer) {
            let f = try MappedFile(path: directory.segmentFilePath(id: entry.id, kind: kind))
            return (f, try FileFooter.validate(f, kind: kind, verifyChecksum: verify))
        }
        let (tf, tb) = try open(.terms)
        let (pf, pb) = try open(.postings)
        let (qf, qb) = try open(.positions)
        let (df, db) = try open(.docs)
        let (sf, sb) = try open(.store)
        var all = [tf, pf, qf, df, sf]
        terms = try TermDictionaryReader(body: tb, file: tf.path)
        docs = try DocTableReader(body: db, file: df.path)
        guard docs.count == Int(entry.docCount) else {
            throw IndexError.corrupt(file: df.path, detail: "holds \(docs.count) documents, the manifest says \(entry.docCount)")
        }
        store = try DocStoreReader(body: sb, file: sf.path)
        if entry.delGeneration != 0 {
            let f = try MappedFile(path: directory.tombstonePath(id: entry.id, delGen: entry.delGeneration))
            let body = try FileFooter.validate(f, kind: .tombstones, verifyChecksum: verify)
            let t = try Tombstones(body: body, docCount: docs.count, file: f.path)
            guard t.count == Int(entry.deletedCount) else {
                throw IndexError.corrupt(file: f.path, detail: "marks \(t.count) documents deleted, the manifest says \(entry.deletedCount)")
            }
            tombstones = t
            all.append(f)
        } else {
            tombstones = nil
        }
        postFile = pf; posFile = qf; postBody = pb; posBody = qb
        files = all
    }

    /// Drops the resident pages of the postings and positions between these offsets (a merge has
    /// read them and will not come back).
    func dropPostingsPages(from start: (post: Int, pos: Int), before end: (post: Int, pos: Int)) {
        func drop(_ body: UnsafeRawBufferPointer, _ a: Int, _ b: Int) {
            let b = min(b, body.count)
            if let base = body.baseAddress, a < b { Sys.dropPages(base + a, length: b - a) }
        }
        drop(postBody, start.post, end.post)
        drop(posBody, start.pos, end.pos)
    }

    /// Drops every resident page of the store.
    func dropStorePages() {
        if let base = store.body.baseAddress { Sys.dropPages(base, length: store.body.count) }
    }

    /// Number of documents, deleted ones included.
    public var docCount: Int { docs.count }

    /// True when local document `doc` is deleted.
    @inline(__always)
    public func isDeleted(_ doc: Int) -> Bool { tombstones?.contains(doc) ?? false }

    /// A cursor over a term's postings (with positions when the term has them).
    public func postings(_ info: TermInfo) throws -> PostingsCursor {
        let p = try ByteReader(postBody, file: postFile.path).sub(offset: info.postOffset, length: info.postLength)
        let q: ByteReader? = info.hasPositions
            ? try ByteReader(posBody, file: posFile.path).sub(offset: info.posOffset, length: info.posLength) : nil
        // The footer follows each body, so loads may run past a term's bytes to the file's end.
        return try PostingsCursor(postings: p, positions: q, df: info.df, maxTf: info.maxTf, docLimit: docs.count, units: docs.units,
                                  postSlack: postBody.count - (info.postOffset + info.postLength) + FileFooter.size,
                                  posSlack: posBody.count - (info.posOffset + info.posLength) + FileFooter.size)
    }

    /// One list merging the postings (with positions) of every term whose key starts with
    /// `prefix`, or nil when there is none. Used for a character that must be followed by
    /// anything: the union of the bigrams it starts.
    public func prefixPostings(_ prefix: [UInt8]) throws -> PostingsCursor? {
        var occurrences = [UInt64]()   // doc << 32 | position
        var tmp = [UInt32]()
        try terms.prefixScan(prefix) { _, info in
            let c = try postings(info)
            try c.next()
            while !c.isExhausted {
                try c.positions(into: &tmp)
                for p in tmp { occurrences.append(UInt64(UInt32(c.doc)) << 32 | UInt64(p)) }
                try c.next()
            }
        }
        guard !occurrences.isEmpty else { return nil }
        occurrences.sort()
        let enc = PostingsEncoder(hasPositions: true)
        var i = 0
        var pos = [UInt32]()
        while i < occurrences.count {
            let d = occurrences[i] >> 32
            pos.removeAll(keepingCapacity: true)
            while i < occurrences.count && occurrences[i] >> 32 == d {
                let p = UInt32(truncatingIfNeeded: occurrences[i])
                if pos.last != p { pos.append(p) }
                i += 1
            }
            pos.withUnsafeBufferPointer {
                enc.add(doc: Int32(d), tf: UInt32($0.count), length: docs.length(Int(d)), units: docs.unitCount(Int(d)), positions: $0)
            }
        }
        let df = enc.df, maxTf = enc.maxTf
        let (p, q) = enc.finish()
        return try PostingsCursor(encoded: p, positions: q, df: df, maxTf: maxTf, docLimit: docs.count, units: docs.units)
    }

    /// A term's postings, or nil when the segment lacks the term.
    public func postings(_ key: [UInt8]) throws -> PostingsCursor? {
        guard let info = try terms.lookup(key) else { return nil }
        return try postings(info)
    }

    /// Number of live documents containing a term: df minus deleted documents that contain it.
    public func liveDocFreq(_ info: TermInfo) throws -> Int {
        guard let t = tombstones, entry.deletedCount > 0 else { return info.df }
        // Probe the postings at each deleted document: cheap while deletions are few.
        let c = try postings(info)
        var dead = 0
        for d in 0..<t.docCount where t.contains(d) {
            try c.advance(to: Int32(d))
            if c.isExhausted { break }
            if c.doc == Int32(d) { dead += 1 }
        }
        return info.df - dead
    }

    /// The metadata of local document `doc`.
    public func info(_ doc: Int) throws -> DocumentInfo { try docs.info(doc).0 }

    /// The original bytes of local document `doc`.
    public func original(_ doc: Int) throws -> [UInt8] {
        try withOriginal(doc) { bytes, _ in Array(bytes) }
    }

    /// Runs `body` with the first `limit` original bytes of local document `doc` (all of them when
    /// it is shorter) and its metadata, without copying the bytes out of the store's buffer: `body`
    /// must not keep the pointer.
    public func withOriginal<T>(_ doc: Int, limit: Int = .max, _ body: (UnsafeRawBufferPointer, DocumentInfo) throws -> T) throws -> T {
        let (info, block, offset) = try docs.info(doc)
        return try store.withDocument(block: block, offset: offset, size: info.size, limit: limit) { try body($0, info) }
    }
}

extension SegmentReader {
    /// Reads every term's postings and positions, every document record and store block.
    func verifyStructure() throws {
        var total = 0
        var positions = [UInt32]()
        if var c = try terms.cursor() {
            var prev: [UInt8]? = nil
            while let (key, info) = try c.next() {
                if let p = prev, !p.lexicographicallyPrecedes(key) {
                    throw IndexError.corrupt(file: postFile.path.replacingSuffix(".post", ".terms"), detail: "terms out of order")
                }
                prev = key
                let cur = try postings(info)
                var n = 0
                try cur.next()
                while !cur.isExhausted {
                    guard Int(cur.doc) < docCount else { throw IndexError.corrupt(file: postFile.path, detail: "doc id \(cur.doc) out of range") }
                    try cur.positions(into: &positions)
                    n += 1
                    try cur.next()
                }
                guard n == info.df else { throw IndexError.corrupt(file: postFile.path, detail: "term has \(n) documents, dictionary says \(info.df)") }
                total += 1
            }
        }
        guard total == terms.termCount else {
            throw IndexError.corrupt(file: postFile.path.replacingSuffix(".post", ".terms"), detail: "\(total) terms, trailer says \(terms.termCount)")
        }
        try store.verifyAll()
        for d in 0..<docCount {
            let (info, block, offset) = try docs.info(d)
            try store.verifyExtent(block: block, offset: offset, size: info.size)
            guard !info.anchors.isEmpty else { continue }
            // Every anchor starts a Han character of the basic block in the stored text.
            try withOriginal(d) { bytes, _ in
                for a in info.anchors where !UnitAnchor.startsBasicHan(bytes, at: Int(a.byte)) {
                    throw IndexError.corrupt(file: docs.file, detail: "doc \(d): anchor at byte \(a.byte) is not at a Han character")
                }
            }
        }
    }
}

extension String {
    func replacingSuffix(_ old: String, _ new: String) -> String {
        hasSuffix(old) ? String(dropLast(old.count)) + new : self
    }
}
