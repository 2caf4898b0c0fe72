import UFAnalysis

/// Writes one immutable segment: .terms, .post, .pos, .docs and .store, each fsynced with
/// its footer. Terms must be given in key order. Used by flushes (from a `SegmentBuffer`)
/// and by merges (from existing segments).
final class SegmentWriter {
    let directory: IndexDirectory
    let id: UInt64
    private let post: FileSink
    private let pos: FileSink
    private var dict = TermDictionaryWriter()
    private var positions: [UInt32] = []

    init(directory: IndexDirectory, id: UInt64) throws {
        self.directory = directory
        self.id = id
        post = try FileSink(path: directory.segmentFilePath(id: id, kind: .postings))
        pos = try FileSink(path: directory.segmentFilePath(id: id, kind: .positions))
    }

    /// Writes one term's finished postings.
    func addTerm(key: [UInt8], encoder: inout PostingsEncoder) throws {
        let df = encoder.df
        guard df > 0 else { return }
        let maxTf = encoder.maxTf
        let (p, q) = encoder.finish()
        let info = TermInfo(df: df, postOffset: Int(post.offset), postLength: p.count,
                            posOffset: Int(pos.offset), posLength: q.count, maxTf: maxTf)
        try post.write(p)
        try pos.write(q)
        dict.add(key: key, info: info)
    }

    /// Writes the remaining files; returns the manifest entry of the new segment.
    func finish(docs: [DocumentInfo], store: DocStoreBuilder) throws -> SegmentEntry {
        var sizes: [UInt16: UInt64] = [:]
        sizes[FileKind.postings.rawValue] = try post.finish(kind: .postings)
        sizes[FileKind.positions.rawValue] = try pos.finish(kind: .positions)
        let terms = try FileSink(path: directory.segmentFilePath(id: id, kind: .terms))
        try dict.write(to: terms)
        sizes[FileKind.terms.rawValue] = try terms.finish(kind: .terms)
        let docsSink = try FileSink(path: directory.segmentFilePath(id: id, kind: .docs))
        try store.flush()
        try DocTableWriter.write(docs: docs, locations: store.locations, to: docsSink)
        sizes[FileKind.docs.rawValue] = try docsSink.finish(kind: .docs)
        let storeSink = try FileSink(path: directory.segmentFilePath(id: id, kind: .store))
        try store.write(to: storeSink)
        sizes[FileKind.store.rawValue] = try storeSink.finish(kind: .store)
        let tokens = docs.reduce(UInt64(0)) { $0 + UInt64($1.length) }
        return SegmentEntry(id: id, docCount: UInt32(docs.count), liveTokenCount: tokens, fileSizes: sizes)
    }

    /// Writes a whole in-memory buffer as segment `id`.
    static func write(_ buffer: SegmentBuffer, directory: IndexDirectory, id: UInt64) throws -> SegmentEntry {
        let w = try SegmentWriter(directory: directory, id: id)
        let (entries, runs) = buffer.sortedByTerm()
        buffer.log = []  // the sorted copy replaces it
        var positions = [UInt32]()
        try entries.withUnsafeBufferPointer { e in
            for t in buffer.sortedTermIDs() {
                let key = buffer.keys[t]
                let hasPos = key[0] != TermKind.word.rawValue
                var enc = PostingsEncoder(hasPositions: hasPos)
                var i = runs[t]
                let end = runs[t + 1]
                while i < end {
                    let doc = e[i] >> 32
                    positions.removeAll(keepingCapacity: true)
                    var j = i
                    while j < end && e[j] >> 32 == doc {
                        positions.append(UInt32(truncatingIfNeeded: e[j]))
                        j += 1
                    }
                    let tf = UInt32(j - i)
                    positions.withUnsafeBufferPointer {
                        enc.add(doc: Int32(doc), tf: tf, length: buffer.docs[Int(doc)].length,
                                positions: hasPos ? $0 : UnsafeBufferPointer(rebasing: $0[0..<0]))
                    }
                    i = j
                }
                try w.addTerm(key: key, encoder: &enc)
            }
        }
        return try w.finish(docs: buffer.docs, store: buffer.store)
    }
}
