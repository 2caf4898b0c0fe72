import CHints
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

    init(directory: IndexDirectory, id: UInt64) throws {
        self.directory = directory
        self.id = id
        post = try FileSink(path: directory.segmentFilePath(id: id, kind: .postings))
        pos = try FileSink(path: directory.segmentFilePath(id: id, kind: .positions))
    }

    /// Writes one term's postings from `encoder` (which is done with the term afterwards).
    func addTerm(key: UnsafeBufferPointer<UInt8>, encoder: PostingsEncoder) throws {
        let df = encoder.df
        guard df > 0 else { return }
        encoder.close()
        let info = TermInfo(df: df, postOffset: Int(post.offset), postLength: encoder.postingsCount,
                            posOffset: Int(pos.offset), posLength: encoder.positionsCount, maxTf: encoder.maxTf,
                            hasPositions: encoder.hasPositions)
        try encoder.write(postings: post, positions: pos)
        dict.add(key: key, info: info)
    }

    /// Appends the terms of `run` (which come after every term added so far), their postings
    /// and positions copied from its temporary files and their offsets moved to match.
    func append(_ run: TermRun) throws {
        let postBase = Int(post.offset), posBase = Int(pos.offset)
        try run.withBytes { postings, positions in
            try Self.copy(postings, to: post)
            try Self.copy(positions, to: pos)
        }
        for var t in run.terms {
            t.info.postOffset += postBase
            t.info.posOffset += posBase
            dict.add(key: t.key, info: t.info)
        }
    }

    /// Writes mapped `bytes` to `sink` in pieces, dropping each piece's pages once written, so
    /// that copying a large temporary file does not keep it all resident.
    private static func copy(_ bytes: UnsafeRawBufferPointer, to sink: FileSink) throws {
        let piece = 8 << 20
        var at = 0
        while at < bytes.count {
            let n = min(piece, bytes.count - at)
            let part = UnsafeRawBufferPointer(rebasing: bytes[at..<at + n])
            try sink.write(part)
            Sys.dropPages(part.baseAddress!, length: n)
            at += n
        }
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
        let e = entries.base
        let unitCounts = buffer.unitCounts
        let enc = PostingsEncoder(hasPositions: true)
        try withExtendedLifetime(entries) { try buffer.lengths.withUnsafeBufferPointer { lengths in
            try buffer.keyBytes.withUnsafeBufferPointer { keyBytes in try buffer.keyStart.withUnsafeBufferPointer { keyStart in
                // Terms come in key order, so their keys are read at random: start loading the
                // key offsets eight terms ahead, and the keys four terms ahead.
                let terms = order.count
                for (r, t32) in order.enumerated() {
                    if r &+ 8 < terms { chints_prefetch(keyStart.baseAddress! + Int(order[r &+ 8])) }
                    if r &+ 4 < terms { chints_prefetch(keyBytes.baseAddress! + keyStart[Int(order[r &+ 4])]) }
                    let t = Int(t32)
                    let key = UnsafeBufferPointer(rebasing: keyBytes[keyStart[t]..<keyStart[t + 1]])
                    enc.reset(hasPositions: key[0] != TermKind.word.rawValue)
                    var i = runs[r]
                    let end = runs[r + 1]
                    while i < end {
                        let doc = e[i] >> 32
                        var j = i + 1
                        while j < end && e[j] >> 32 == doc { j += 1 }
                        enc.add(doc: Int32(doc), tf: j - i, length: lengths[Int(doc)], units: unitCounts[Int(doc)], occurrences: e + i)
                        i = j
                    }
                    try w.addTerm(key: key, encoder: enc)
                }
            } }
        } }
        let entry = try w.finish(docs: buffer.docs, store: buffer.store)
        return (entry, buffer.recycle(sorted: entries))
    }
}
