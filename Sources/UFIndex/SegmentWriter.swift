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

    /// Writes a whole in-memory buffer as segment `id`. Returns the entry and the buffer to fill
    /// next (which reuses this one's memory).
    static func write(_ buffer: SegmentBuffer, directory: IndexDirectory, id: UInt64) throws -> (SegmentEntry, next: SegmentBuffer) {
        let w = try SegmentWriter(directory: directory, id: id)
        let order = buffer.sortedTermIDs()
        let (entries, runs) = buffer.sortedByTerm(order: order)  // the sorted copy replaces the log
        // One document's positions of one term, copied out of the sorted entries.
        var scratchCapacity = 1024
        var scratch = UnsafeMutablePointer<UInt32>.allocate(capacity: scratchCapacity)
        defer { scratch.deallocate() }
        let e = entries.base
        let unitCounts = buffer.unitCounts
        try withExtendedLifetime(entries) { try buffer.lengths.withUnsafeBufferPointer { lengths in
            for (r, t32) in order.enumerated() {
                let t = Int(t32)
                let key = buffer.key(t)
                let hasPos = key[0] != TermKind.word.rawValue
                var enc = PostingsEncoder(hasPositions: hasPos)
                var i = runs[r]
                let end = runs[r + 1]
                while i < end {
                    let doc = e[i] >> 32
                    var j = i + 1
                    while j < end && e[j] >> 32 == doc { j += 1 }
                    let tf = j - i
                    if hasPos {
                        if tf > scratchCapacity {
                            scratch.deallocate()
                            scratchCapacity = max(tf, scratchCapacity * 2)
                            scratch = .allocate(capacity: scratchCapacity)
                        }
                        for k in 0..<tf { scratch[k] = UInt32(truncatingIfNeeded: e[i + k]) }
                    }
                    enc.add(doc: Int32(doc), tf: UInt32(tf), length: lengths[Int(doc)], units: unitCounts[Int(doc)],
                            positions: UnsafeBufferPointer(start: scratch, count: hasPos ? tf : 0))
                    i = j
                }
                try w.addTerm(key: key, encoder: &enc)
            }
        } }
        let entry = try w.finish(docs: buffer.docs, store: buffer.store)
        return (entry, buffer.recycle(sorted: entries))
    }
}
