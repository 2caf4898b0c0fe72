import Collections
import UFIndex

/// Top-k for the commonest short queries: a lone run that is one piece (a two-character run
/// such as 配置 or 网信, or one Latin token such as `debian`). Its matches are exactly the
/// piece's documents (their count is the piece's live df), and its score needs no positions:
/// the run's occurrences in a document are the piece's tf there.
///
/// **One word** (配置, 发展, `debian`): a match scores the word's BM25 part alone (a one-word run
/// earns no phrase boost, a lone run no proximity boost), so the ranking is a single-term top-k
/// over the word's postings, as Lucene's and Tantivy's term scorers do it:
///
/// - the word's documents are visited in order; a postings block whose bound (its largest tf
///   over its shortest document) cannot beat the heap's worst hit is skipped undecoded;
/// - a document is scored from its tf and length alone, and only one that would enter the heap
///   is checked against the piece's postings (every document holding the word holds the piece,
///   since both are cut from the same normalised text, but the check keeps matching exact);
/// - when fewer than k matches hold the word, the rest of the page is the piece's other
///   documents in id order, with score 0, as the general path ranks them.
///
/// **Several words** (网信 cut 网/信, 整改 cut 整/改): every match earns the phrase boost, known
/// from the piece's tf, so the piece's documents are visited. The words are usually common
/// single characters, whose long lists would each decode a block per match; a match is scored
/// exactly only when its phrase part plus a bound on its word parts (each word's largest tf in
/// its postings block around the document, at the document's own length) can beat the worst hit.
///
/// Scores are computed by the same expressions, in the same order, as ``SegmentScorer``'s, so
/// they are the same bits; a bound sums the same parts with each tf replaced by a larger one,
/// so it is never below the exact score.
extension Searcher {
    /// The top `offset + limit` of `sequence`, a lone run of one piece (`piece`, with `total`
    /// live documents) and no filters.
    func runSinglePiece(_ sequence: SequenceQuery, piece: [UInt8], stats: GlobalStats, total: Int, plan: QueryPlan,
                        options: SearchOptions) throws -> SearchResults {
        let k = max(0, options.offset) + max(0, options.limit)
        var heap = Heap<Candidate>()
        if stats.words.count == 1, sequence.words.count == 1, stats.boostBound == 0 {
            lastScoredCount = try singleWordTopK(piece: piece, stats: stats, k: k, into: &heap)
        } else {
            lastScoredCount = try pieceTopK(sequence, piece: piece, stats: stats, k: k, into: &heap)
        }
        var r = SearchResults(total: total, hits: try page(&heap, offset: options.offset), plan: plan)
        r.totalIsExact = true
        return r
    }

    /// The top `k` of a one-word run into `heap`; returns how many documents were scored.
    private func singleWordTopK(piece: [UInt8], stats: GlobalStats, k: Int, into heap: inout Heap<Candidate>) throws -> Int {
        let idf = stats.wordIdf[0]
        let avgdl = stats.avgdl
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
                        Self.offer(Candidate(score: score, id: base + Int(d), segment: si, local: d, explanation: nil,
                                             occurrences: Int32(clamping: pit.pointee.tf)), to: &heap, keeping: k)
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
                        Self.offer(Candidate(score: 0, id: id, segment: si, local: d, explanation: nil,
                                             occurrences: Int32(clamping: it.pointee.tf)), to: &heap, keeping: k)
                        if heap.count >= k { break segments }
                    }
                    try it.pointee.next()
                }
                withExtendedLifetime(cursor) {}
            }
        }
        return scored
    }

    /// The top `k` of a run of one piece and several words into `heap`; returns how many
    /// documents were scored.
    private func pieceTopK(_ sequence: SequenceQuery, piece: [UInt8], stats: GlobalStats, k: Int,
                           into heap: inout Heap<Candidate>) throws -> Int {
        let avgdl = stats.avgdl
        let idfs = stats.wordIdf
        let phraseIdf = sequence.words.count >= 2 ? stats.sequenceIdf[0] : 0
        var scored = 0
        var worst = -Double.infinity   // later documents lose ties, as in singleWordTopK
        for (si, seg) in snapshot.segments.enumerated() {
            guard let pieceCursor = try seg.postings(piece) else { continue }
            let wordCursors = try stats.infos[si].map { try $0.map { try seg.postings($0) } }
            let words = wordCursors.map { $0?.iterator }
            // Each word's largest tf in its block around the current document, valid through `through`.
            var maxTfs = [Double](repeating: 0, count: words.count)
            var through = [Int32](repeating: -1, count: words.count)
            let pit = pieceCursor.iterator
            let lengths = seg.docs.lengths
            let base = snapshot.bases[si]
            while true {
                try pit.pointee.next()
                let d = pit.pointee.doc
                if d == Int32.max { break }
                if seg.isDeleted(Int(d)) { continue }
                let dl = Double(lengths.loadUnaligned(fromByteOffset: Int(d) &* 4, as: UInt32.self).littleEndian)
                let phrase = phraseIdf > 0
                    ? Scoring.phraseWeight * phraseIdf * Scoring.tfPart(tf: Double(pit.pointee.tf), dl: dl, avgdl: avgdl) : 0
                if heap.count >= k {
                    var bound = 0.0
                    for i in words.indices {
                        guard let it = words[i] else { continue }
                        if d > through[i] {
                            if let b = it.pointee.blockFor(d) {
                                maxTfs[i] = Double(it.pointee.blockBounds(b).maxTf)
                                through[i] = it.pointee.blockLastDoc(b)
                            } else {
                                maxTfs[i] = 0
                                through[i] = Int32.max
                            }
                        }
                        if maxTfs[i] > 0 { bound += idfs[i] * Scoring.tfPart(tf: maxTfs[i], dl: dl, avgdl: avgdl) }
                    }
                    if bound + (0.0 + phrase) <= worst { continue }
                }
                var ws = 0.0
                for i in words.indices {
                    guard let it = words[i] else { continue }
                    try it.pointee.advance(to: d)
                    guard it.pointee.doc == d else { continue }
                    ws += idfs[i] * Scoring.tfPart(tf: Double(it.pointee.tf), dl: dl, avgdl: avgdl)
                }
                let score = ws + (0.0 + phrase)
                scored += 1
                Self.offer(Candidate(score: score, id: base + Int(d), segment: si, local: d, explanation: nil,
                                     occurrences: Int32(clamping: pit.pointee.tf)), to: &heap, keeping: k)
                if heap.count >= k, let w = heap.min { worst = w.score }
            }
            withExtendedLifetime((pieceCursor, wordCursors)) {}
        }
        return scored
    }
}
