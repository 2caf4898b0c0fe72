/// Merges segments into one: live documents are renumbered in order, postings are merged
/// term by term straight from the sources (no re-analysis). Stored text: the blocks of a source
/// with no deletions and at least a dictionary sample's worth of text are copied verbatim with
/// their dictionary; the documents of other sources are recompressed with a dictionary trained
/// on them.
enum SegmentMerger {
    static func merge(_ sources: [SegmentReader], into directory: IndexDirectory, id: UInt64) throws -> SegmentEntry {
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
        var cursors = try sources.map { try $0.terms.cursor() }
        var heads: [([UInt8], TermInfo)?] = try cursors.indices.map { i in try cursors[i]?.next() }
        var positions = [UInt32]()
        var consumed = [(post: Int, pos: Int)](repeating: (0, 0), count: sources.count)
        var termsSinceDrop = 0
        let enc = PostingsEncoder(hasPositions: true)
        while true {
            // The smallest key among the heads.
            var minKey: [UInt8]? = nil
            for h in heads {
                if let (k, _) = h, minKey == nil || k.lexicographicallyPrecedes(minKey!) { minKey = k }
            }
            guard let key = minKey else { break }
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
                            enc.add(doc: nd, tf: c.tf, length: docs[Int(nd)].length, units: docs[Int(nd)].units, positions: $0)
                        }
                    }
                    try c.next()
                }
                consumed[i] = (info.postOffset + info.postLength, info.posOffset + info.posLength)
                heads[i] = try cursors[i]!.next()
            }
            try key.withUnsafeBufferPointer { try writer.addTerm(key: $0, encoder: enc) }
            // Terms are merged in key order, and postings are laid out in key order: what lies behind
            // every source's cursor is done with, so keep the resident set to what is being merged.
            termsSinceDrop += 1
            if termsSinceDrop == 4096 {
                termsSinceDrop = 0
                for i in sources.indices { sources[i].dropPostingsPages(before: consumed[i].post, consumed[i].pos) }
            }
        }
        return try writer.finish(docs: docs, store: store)
    }
}
