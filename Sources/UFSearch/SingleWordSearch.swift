import Collections
import UFIndex

/// Top-k for the commonest short query: a lone run that is one piece and one ICU word (a
/// two-character word such as 配置 or 发展, or one Latin token such as `debian`).
///
/// Its matches are exactly the piece's documents (their count is the piece's live df), and a
/// match's score is the word's BM25 part alone: a one-word run earns no phrase boost and a lone
/// run no proximity boost. So the ranking is a single-term top-k over the word's postings, as
/// Lucene's and Tantivy's term scorers do it:
///
/// - the word's documents are visited in order; a postings block whose bound (its largest tf
///   over its shortest document) cannot beat the heap's worst hit is skipped without decoding;
/// - a document is scored from its tf and length alone, and only one that would enter the heap
///   is checked against the piece's postings (every document holding the word holds the piece,
///   since both are cut from the same normalised text, but the check keeps matching exact);
/// - when fewer than k matches hold the word, the rest of the page is the piece's other
///   documents in id order, with score 0, as the general path ranks them.
///
/// Scores are computed by the same expression as ``SegmentScorer``'s, so they are the same bits.
extension Searcher {
    /// The top `k` of `sequence` when it is one piece (`piece`) and one word, else nil.
    func runSingleWord(_ sequence: SequenceQuery, piece: [UInt8], stats: GlobalStats, total: Int, plan: QueryPlan,
                       options: SearchOptions) throws -> SearchResults? {
        guard stats.words.count == 1, sequence.words.count == 1, stats.boostBound == 0 else { return nil }
        let k = max(0, options.offset) + max(0, options.limit)
        let idf = stats.wordIdf[0]
        let avgdl = stats.avgdl
        var heap = Heap<Candidate>()
        var scored = 0
        // Segments are visited in id order, so a later document loses a tie with the worst hit.
        var worst = -Double.infinity
        for (si, seg) in snapshot.segments.enumerated() {
            guard let wordInfo = stats.infos[si][0], let pieceCursor = try seg.postings(piece) else { continue }
            let wordCursor = try seg.postings(wordInfo)
            let it = wordCursor.iterator, pit = pieceCursor.iterator
            let lengths = seg.docs.lengths
            let base = snapshot.bases[si]
            let hasDeletions = seg.tombstones != nil
            var boundThrough: Int32 = -1
            var bound = Double.infinity
            try it.pointee.next()
            while it.pointee.doc != Int32.max {
                let d = it.pointee.doc
                if heap.count >= k {
                    if d > boundThrough, let b = it.pointee.blockFor(d) {
                        let (maxTf, minLen) = it.pointee.blockBounds(b)
                        bound = idf * Scoring.tfPart(tf: Double(maxTf), dl: Double(minLen), avgdl: avgdl)
                        boundThrough = it.pointee.blockLastDoc(b)
                    }
                    if bound <= worst {
                        // Nothing in this block can rank: on to the next one.
                        if boundThrough >= Int32.max - 1 { break }
                        try it.pointee.advance(to: boundThrough + 1)
                        continue
                    }
                }
                let dl = Double(lengths.loadUnaligned(fromByteOffset: Int(d) &* 4, as: UInt32.self).littleEndian)
                let score = idf * Scoring.tfPart(tf: Double(it.pointee.tf), dl: dl, avgdl: avgdl)
                if (heap.count < k || score > worst) && !(hasDeletions && seg.isDeleted(Int(d))) {
                    try pit.pointee.advance(to: d)
                    if pit.pointee.doc == d {
                        scored += 1
                        Self.offer(Candidate(score: score, id: base + Int(d), segment: si, local: d, explanation: nil),
                                   to: &heap, keeping: k)
                        if heap.count >= k, let w = heap.min { worst = w.score }
                    }
                }
                try it.pointee.next()
            }
            withExtendedLifetime((wordCursor, pieceCursor)) {}
        }
        // Fewer than k matches hold the word: the first matches without it, by id, score 0.
        if heap.count < k {
            let ranked = Set(heap.unordered.map(\.id))
            segments: for (si, seg) in snapshot.segments.enumerated() {
                guard let cursor = try seg.postings(piece) else { continue }
                let it = cursor.iterator
                try it.pointee.next()
                while it.pointee.doc != Int32.max {
                    let d = it.pointee.doc
                    let id = snapshot.bases[si] + Int(d)
                    if !seg.isDeleted(Int(d)) && !ranked.contains(id) {
                        Self.offer(Candidate(score: 0, id: id, segment: si, local: d, explanation: nil), to: &heap, keeping: k)
                        if heap.count >= k { break segments }
                    }
                    try it.pointee.next()
                }
                withExtendedLifetime(cursor) {}
            }
        }
        lastScoredCount = scored
        var r = SearchResults(total: total, hits: try page(&heap, offset: options.offset), plan: plan)
        r.totalIsExact = true
        return r
    }
}
