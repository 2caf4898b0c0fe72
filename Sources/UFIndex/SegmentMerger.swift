import Dispatch

/// Merges segments into one: live documents are renumbered in order, postings are merged
/// term by term straight from the sources (no re-analysis). Stored text: the blocks of a source
/// with no deletions and at least a dictionary sample's worth of text are copied verbatim with
/// their dictionary; the documents of other sources are recompressed with a dictionary trained
/// on them.
///
/// A large merge splits the terms at one key into two ranges of about equal postings and
/// positions bytes, merged on two threads: the first range into the segment's files, the second
/// into temporary files (`*.tmp-1`, removed by garbage collection if the process dies) that are
/// then appended, their terms' offsets moved by what the first range wrote. The files are the
/// same, byte for byte, as a merge on one thread.
enum SegmentMerger {
    /// Postings and positions bytes (all sources together) from which the terms are merged on
    /// two threads.
    static let parallelMinimumBytes = 32 << 20

    /// Merges `sources` into new segment `id`. `threads` > 1 allows the split of the terms
    /// (`split` forces its key, for tests).
    static func merge(_ sources: [SegmentReader], into directory: IndexDirectory, id: UInt64, threads: Int = 2,
                      split forcedSplit: [UInt8]? = nil) throws -> SegmentEntry {
        // New ids: the live documents of each source, in order.
        var remap = [[Int32]]()
        var docs = [DocumentInfo]()
        let store = DocStoreBuilder()
        for s in sources {
            var m = [Int32](repeating: -1, count: s.docCount)
            if s.tombstones == nil, try s.store.rawBytes() >= UInt64(storeDictionarySample) {
                // No deletions, a full-size dictionary: copy the compressed store blocks as they are.
                var locs = [(block: UInt32, offset: UInt32)]()
                for d in 0..<s.docCount {
                    m[d] = Int32(docs.count)
                    let (info, block, offset) = try s.docs.info(d)
                    docs.append(info)
                    locs.append((block, offset))
                }
                try store.appendBlocks(of: s.store, locations: locs)
                s.dropStorePages()
            } else {
                for d in 0..<s.docCount where !s.isDeleted(d) {
                    m[d] = Int32(docs.count)
                    let (info, block, offset) = try s.docs.info(d)
                    docs.append(info)
                    let bytes = try s.store.document(block: block, offset: offset, size: info.size)
                    try bytes.withUnsafeBytes { try store.add($0) }
                }
            }
            remap.append(m)
        }
        let writer = try SegmentWriter(directory: directory, id: id)
        let lengths = docs.map { (length: $0.length, units: $0.units) }
        let split = threads > 1 ? try forcedSplit ?? splitKey(sources, minimumBytes: parallelMinimumBytes) : nil
        if let split {
            let run = try TermRun(directory: directory, id: id)
            let second = DispatchGroup()
            nonisolated(unsafe) var secondError: Error?
            DispatchQueue.global().async(group: second) { [remap] in
                do { try mergeTerms(sources, remap: remap, lengths: lengths, from: split, to: nil, into: run) } catch { secondError = error }
            }
            do {
                try mergeTerms(sources, remap: remap, lengths: lengths, from: nil, to: split, into: writer)
            } catch {
                second.wait()
                run.discard()
                throw error
            }
            second.wait()
            if let secondError { run.discard(); throw secondError }
            try writer.append(run)
        } else {
            try mergeTerms(sources, remap: remap, lengths: lengths, from: nil, to: nil, into: writer)
        }
        return try writer.finish(docs: docs, store: store)
    }

    /// A key that splits the terms into two ranges (below it, and from it on) of about equal
    /// postings and positions bytes, judged on the largest source; nil when the sources hold
    /// fewer than `minimumBytes` of them.
    static func splitKey(_ sources: [SegmentReader], minimumBytes: Int) throws -> [UInt8]? {
        func bytes(_ s: SegmentReader) -> Int { s.postBody.count + s.posBody.count }
        guard sources.reduce(0, { $0 + bytes($1) }) >= minimumBytes,
              let largest = sources.max(by: { bytes($0) < bytes($1) }), var c = try largest.terms.cursor()
        else { return nil }
        let half = bytes(largest) / 2
        var seen = 0
        while let (key, info) = try c.next() {
            seen += info.postLength + info.posLength
            if seen >= half { return key }
        }
        return nil
    }

    /// Merges the terms with keys in `lo ..< hi` (nil: unbounded) into `sink`, in key order.
    static func mergeTerms(_ sources: [SegmentReader], remap: [[Int32]], lengths: [(length: UInt32, units: UInt32)],
                           from lo: [UInt8]?, to hi: [UInt8]?, into sink: TermSink) throws {
        var cursors = try sources.map { try $0.terms.cursor() }
        var heads = [([UInt8], TermInfo)?]()
        for i in cursors.indices {
            var head = try cursors[i]?.next()
            if let lo { while let (k, _) = head, k.lexicographicallyPrecedes(lo) { head = try cursors[i]!.next() } }
            heads.append(head)
        }
        // Each source's postings and positions bytes before this range (left alone) and up to the
        // terms done (dropped from memory as the merge moves on).
        let start = heads.map { h in h.map { (post: $0.1.postOffset, pos: $0.1.posOffset) } ?? (0, 0) }
        var consumed = start
        var positions = [UInt32]()
        var termsSinceDrop = 0
        let enc = PostingsEncoder(hasPositions: true)
        while true {
            // The smallest key among the heads.
            var minKey: [UInt8]? = nil
            for h in heads {
                if let (k, _) = h, minKey == nil || k.lexicographicallyPrecedes(minKey!) { minKey = k }
            }
            guard let key = minKey else { break }
            if let hi, !key.lexicographicallyPrecedes(hi) { break }
            let hasPos = key.first != TermKind.word.rawValue
            enc.reset(hasPositions: hasPos)
            for i in sources.indices {
                guard let (k, info) = heads[i], k == key else { continue }
                let c = try sources[i].postings(info)
                try c.next()
                while !c.isExhausted {
                    let nd = remap[i][Int(c.doc)]
                    if nd >= 0 {
                        if hasPos { try c.positions(into: &positions) } else { positions.removeAll(keepingCapacity: true) }
                        positions.withUnsafeBufferPointer {
                            enc.add(doc: nd, tf: c.tf, length: lengths[Int(nd)].length, units: lengths[Int(nd)].units, positions: $0)
                        }
                    }
                    try c.next()
                }
                consumed[i] = (info.postOffset + info.postLength, info.posOffset + info.posLength)
                heads[i] = try cursors[i]!.next()
            }
            try key.withUnsafeBufferPointer { try sink.addTerm(key: $0, encoder: enc) }
            // Terms are merged in key order, and postings are laid out in key order: what lies behind
            // every source's cursor is done with, so keep the resident set to what is being merged.
            termsSinceDrop += 1
            if termsSinceDrop == 4096 {
                termsSinceDrop = 0
                for i in sources.indices { sources[i].dropPostingsPages(from: start[i], before: consumed[i]) }
            }
        }
    }
}

/// Where merged terms go: a segment's own files, or a ``TermRun``.
protocol TermSink: AnyObject {
    /// Appends the term the encoder holds (nothing when it has no documents).
    func addTerm(key: UnsafeBufferPointer<UInt8>, encoder: PostingsEncoder) throws
}

extension SegmentWriter: TermSink {}

/// The terms of one key range of a merge, written on another thread to temporary postings and
/// positions files, then appended to the segment's own (``SegmentWriter/append(_:)``).
final class TermRun: TermSink {
    let postPath: String
    let posPath: String
    private let post: FileSink
    private let pos: FileSink
    /// The terms, in key order, with offsets into the temporary files.
    private(set) var terms: [(key: [UInt8], info: TermInfo)] = []

    init(directory: IndexDirectory, id: UInt64) throws {
        postPath = directory.segmentFilePath(id: id, kind: .postings) + ".tmp-1"
        posPath = directory.segmentFilePath(id: id, kind: .positions) + ".tmp-1"
        post = try FileSink(path: postPath)
        pos = try FileSink(path: posPath)
    }

    func addTerm(key: UnsafeBufferPointer<UInt8>, encoder: PostingsEncoder) throws {
        guard encoder.df > 0 else { return }
        encoder.close()
        terms.append((Array(key), TermInfo(df: encoder.df, postOffset: Int(post.offset), postLength: encoder.postingsCount,
                                           posOffset: Int(pos.offset), posLength: encoder.positionsCount, maxTf: encoder.maxTf,
                                           hasPositions: encoder.hasPositions)))
        try encoder.write(postings: post, positions: pos)
    }

    /// Calls `body` with the whole postings and positions written, then removes the files.
    func withBytes(_ body: (_ postings: UnsafeRawBufferPointer, _ positions: UnsafeRawBufferPointer) throws -> Void) throws {
        defer { discard() }
        try post.finishTemporary()
        try pos.finishTemporary()
        let p = post.offset > 0 ? try MappedFile(path: postPath) : nil
        let q = pos.offset > 0 ? try MappedFile(path: posPath) : nil
        try body(p?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0), q?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0))
        withExtendedLifetime((p, q)) {}
    }

    /// Removes the temporary files.
    func discard() {
        try? Sys.unlink(postPath, ignoreMissing: true)
        try? Sys.unlink(posPath, ignoreMissing: true)
    }
}
