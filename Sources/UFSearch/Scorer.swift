// Ranking.
//
// score(d) = Σ_w  idf(w) · tf(w,d)·(k1+1) / (tf(w,d) + k1·(1 − b + b·dl(d)/avgdl))      BM25 over ICU words
//          + Σ_s  phraseWeight · idf(s) · occ(s,d)·(k1+1) / (occ(s,d) + k1·(1 − b + b·dl(d)/avgdl))
//          + Σ_(s,t) proximityWeight · (idf(s) + idf(t)) / 2 / (1 + gap(s,t,d) / 8)
//
//   w    the distinct ICU words of the query's positive terms and phrases
//   idf  ln(1 + (N − df + 0.5) / (df + 0.5)), N live documents, df live documents with w
//   k1 = 1.2, b = 0.75; dl is the document length in ICU words, avgdl its mean over live documents
//   s    a positive term or phrase of two or more words; occ = its exact occurrences in d;
//        idf(s) = Σ idf of its words (the phrase boost: whole-run matches beat scattered words)
//   (s,t) consecutive positive terms of the query found in d; gap = the smallest distance in
//        units between an occurrence of s and one of t (the proximity boost)
//
// Statistics are global over all segments (df sums live documents across segments), so a
// document's score does not depend on the segment layout. Ties break on the global doc id.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// BM25 constants and boost weights.
public enum Scoring {
    /// BM25 k1.
    public static let k1 = 1.2
    /// BM25 b.
    public static let b = 0.75
    /// Weight of the phrase boost.
    public static let phraseWeight = 0.5
    /// Weight of the proximity boost.
    public static let proximityWeight = 0.5

    /// BM25 inverse document frequency.
    public static func idf(df: Int, n: Int) -> Double {
        log(1 + (Double(n) - Double(df) + 0.5) / (Double(df) + 0.5))
    }

    /// BM25 term-frequency part.
    public static func tfPart(tf: Double, dl: Double, avgdl: Double) -> Double {
        guard tf > 0 else { return 0 }
        let norm = avgdl > 0 ? (1 - b + b * dl / avgdl) : 1
        return tf * (k1 + 1) / (tf + k1 * norm)
    }
}

/// One line of `--explain`.
public struct TermExplanation: Sendable, Equatable {
    /// The word, phrase or pair.
    public var term: String
    /// What kind of contribution: "word", "phrase" or "proximity".
    public var kind: String
    /// Occurrences in the document (for proximity: the gap in units).
    public var tf: Int
    /// Live documents containing it (0 for proximity).
    public var df: Int
    /// Its idf.
    public var idf: Double
    /// Its contribution to the score.
    public var score: Double
}

/// Why a hit scored what it did.
public struct Explanation: Sendable, Equatable {
    /// Document length in ICU words.
    public var dl: Int
    /// Average document length.
    public var avgdl: Double
    /// Live documents.
    public var n: Int
    /// Per-term contributions.
    public var terms: [TermExplanation]
}

import UFIndex

/// Collection statistics for one query over all segments, and the weights derived from them
/// that every segment's scorer shares.
struct GlobalStats {
    let n: Int
    let avgdl: Double
    /// Distinct words of the query (term keys), with live df and idf.
    var words: [(key: [UInt8], text: String, df: Int, idf: Double)] = []
    /// Each word's dictionary entry in each segment (by segment, then word; nil where absent),
    /// looked up once here for the scorers.
    var infos: [[TermInfo?]]
    /// idf of each word, in `words` order.
    let wordIdf: [Double]
    /// idf of each sequence: the sum of its words'.
    let sequenceIdf: [Double]
    /// Words in each sequence.
    let sequenceWordCounts: [Int]
    /// Each sequence's first occurrence index among equal sequences (equal normalised text).
    let sequenceKeys: [Int]
    /// The largest possible proximity boost.
    let proximityBound: Double
    /// The largest possible phrase and proximity boosts.
    let boostBound: Double

    init(snapshot: IndexSnapshot, sequences: [SequenceQuery]) throws {
        n = snapshot.liveDocCount
        avgdl = snapshot.averageLength
        infos = Array(repeating: [], count: snapshot.segments.count)
        var seqIdf = [Double]()
        for s in sequences {
            var idf = 0.0
            for (k, t) in zip(s.words, s.wordTexts) {
                if let w = words.firstIndex(where: { $0.key == k }) { idf += words[w].idf; continue }
                var df = 0
                for (si, seg) in snapshot.segments.enumerated() {
                    let info = try seg.terms.lookup(k)
                    if let info { df += try seg.liveDocFreq(info) }
                    infos[si].append(info)
                }
                let wi = Scoring.idf(df: df, n: n)
                words.append((k, t, df, wi))
                idf += wi
            }
            seqIdf.append(idf)
        }
        wordIdf = words.map(\.idf)
        sequenceIdf = seqIdf
        sequenceWordCounts = sequences.map(\.words.count)
        sequenceKeys = sequences.map { s in sequences.firstIndex { $0.normalized == s.normalized }! }
        var b = 0.0
        for (i, s) in sequences.enumerated() where s.words.count >= 2 { b += Scoring.phraseWeight * seqIdf[i] * (Scoring.k1 + 1) }
        var p = 0.0
        if sequences.count >= 2 {
            for i in 1..<sequences.count { p += Scoring.proximityWeight * (seqIdf[i - 1] + seqIdf[i]) / 2 }
        }
        proximityBound = p
        boostBound = b + p
    }
}

/// Scores the documents of one segment, visited in increasing doc order.
struct SegmentScorer {
    let segment: SegmentReader
    let stats: GlobalStats
    let sequences: [SequenceQuery]
    let matches: [SequenceMatches?]
    /// Raw views of `matches`, for the inner loop.
    let tables: [MatchTable?]
    /// Average document length.
    let avgdl: Double
    var matchIndex: [Int]
    /// The words' postings (nil where the segment lacks the word); `iterators` point into them.
    let cursors: [PostingsCursor?]
    let iterators: [UnsafeMutablePointer<PostingsIterator>?]
    /// The largest possible phrase and proximity boosts.
    let boostBound: Double
    /// idf of each sequence (the sum of its words').
    let sequenceIdf: [Double]
    /// idf of each word.
    let wordIdf: [Double]
    /// Words in each sequence.
    let sequenceWordCounts: [Int]
    /// Each sequence's first occurrence index among equal sequences (equal normalised text, equal key).
    let sequenceKeys: [Int]
    /// The sequences found in the document being scored, in query order.
    private var found: [Int]
    private var foundCount = 0
    /// Each sequence's occurrences (0: absent) and starts in the document being scored.
    private var occCounts: [UInt32]
    private var occStarts: [UnsafeBufferPointer<UInt32>]
    /// The largest possible proximity boost.
    let proximityBound: Double
    /// The last document the cached ``upperBound(_:)`` holds for (every document from the one
    /// it was asked for through this one).
    private(set) var boundValidThrough: Int32 = -1
    private var cachedBound = 0.0

    /// The segment's document lengths (u32le each).
    let lengths: UnsafeRawBufferPointer

    /// A scorer for `segment`, the `segmentIndex`-th of the snapshot `stats` was gathered over.
    init(segment: SegmentReader, segmentIndex: Int, stats: GlobalStats, sequences: [SequenceQuery],
         matches: [String: SequenceMatches]) throws {
        self.segment = segment
        lengths = segment.docs.lengths
        self.stats = stats
        avgdl = stats.avgdl
        self.sequences = sequences
        self.matches = matches.isEmpty ? Array(repeating: nil, count: sequences.count) : sequences.map { matches[$0.normalized] }
        tables = self.matches.map { $0?.table }
        matchIndex = Array(repeating: 0, count: sequences.count)
        cursors = try stats.infos[segmentIndex].map { info in try info.map { try segment.postings($0) } }
        iterators = cursors.map { $0?.iterator }
        sequenceIdf = stats.sequenceIdf
        wordIdf = stats.wordIdf
        sequenceWordCounts = stats.sequenceWordCounts
        sequenceKeys = stats.sequenceKeys
        found = Array(repeating: 0, count: sequences.count)
        occCounts = Array(repeating: 0, count: sequences.count)
        occStarts = Array(repeating: UnsafeBufferPointer(start: nil, count: 0), count: sequences.count)
        proximityBound = stats.proximityBound
        boostBound = stats.boostBound
    }

    /// Length (ICU words) of local document `doc`.
    @inline(__always) func length(_ doc: Int32) -> Double {
        Double(lengths.loadUnaligned(fromByteOffset: Int(doc) &* 4, as: UInt32.self).littleEndian)
    }

    /// The best score `doc` could reach given its exact word part `words` and, per sequence,
    /// a bound on its occurrences (`occurrenceBounds`).
    func bound(words: Double, dl: Double, occurrenceBounds: [UInt32]) -> Double {
        var b = words + proximityBound
        for si in 0..<sequenceWordCounts.count where sequenceWordCounts[si] >= 2 {
            b += Scoring.phraseWeight * sequenceIdf[si] * Scoring.tfPart(tf: Double(occurrenceBounds[si]), dl: dl, avgdl: avgdl)
        }
        return b
    }

    /// Records sequence `s`'s occurrences in the document about to be scored with
    /// ``score(words:dl:)`` (`count` 0: absent).
    @inline(__always) mutating func setOccurrences(_ s: Int, count: UInt32, starts: UnsafeBufferPointer<UInt32>) {
        occCounts[s] = count
        occStarts[s] = starts
    }

    /// The score from the word part and the occurrences set with ``setOccurrences(_:count:starts:)``.
    mutating func score(words: Double, dl: Double) -> Double {
        var none: [TermExplanation]? = nil
        return words + boosts(dl: dl, parts: &none)
    }

    /// The best score any document in the postings blocks around `doc` could reach. Cached
    /// until `doc` passes the end of one of those blocks.
    mutating func upperBound(_ doc: Int32) throws -> Double {
        if doc <= boundValidThrough { return cachedBound }
        var bound = boostBound
        var through = Int32.max
        for i in iterators.indices {
            guard let c = iterators[i], let b = c.pointee.blockFor(doc) else { continue }
            let (maxTf, minLen) = c.pointee.blockBounds(b)
            through = min(through, c.pointee.blockLastDoc(b))
            bound += wordIdf[i] * Scoring.tfPart(tf: Double(maxTf), dl: Double(minLen), avgdl: avgdl)
        }
        cachedBound = bound
        boundValidThrough = through == Int32.max ? Int32.max : through
        return bound
    }

    /// The index in `matches[s]` of `doc`, advancing monotonically.
    @inline(__always)
    private mutating func matchPosition(_ s: Int, _ doc: Int32) -> Int? {
        guard let m = tables[s] else { return nil }
        var i = matchIndex[s]
        while i < m.count && m.docs[i] < doc { i &+= 1 }
        matchIndex[s] = i
        return i < m.count && m.docs[i] == doc ? i : nil
    }

    /// The BM25 word part of `doc`'s score (advancing the word iterators); each word's part is
    /// appended to `parts` unless it is nil.
    mutating func wordScore(_ doc: Int32, dl: Double, parts: inout [TermExplanation]?) throws -> Double {
        var total = 0.0
        for i in iterators.indices {
            guard let c = iterators[i] else { continue }
            try c.pointee.advance(to: doc)
            guard c.pointee.doc == doc else { continue }
            let tf = Double(c.pointee.tf)
            let idf = wordIdf[i]
            let s = idf * Scoring.tfPart(tf: tf, dl: dl, avgdl: avgdl)
            total += s
            if parts != nil {
                let w = stats.words[i]
                parts!.append(TermExplanation(term: w.text, kind: "word", tf: Int(tf), df: w.df, idf: idf, score: s))
            }
        }
        return total
    }

    /// Scores `doc` from the matches given at init.
    mutating func score(_ doc: Int32, explain: Bool) throws -> (Double, Explanation?) {
        let dl = length(doc)
        var parts: [TermExplanation]? = explain ? [] : nil
        var total = try wordScore(doc, dl: dl, parts: &parts)
        for si in 0..<sequenceWordCounts.count {
            if let i = matchPosition(si, doc), let m = tables[si] {
                occCounts[si] = m.counts[i]
                occStarts[si] = m.starts(i)
            } else {
                occCounts[si] = 0
            }
        }
        total += boosts(dl: dl, parts: &parts)
        return (total, parts.map { Explanation(dl: Int(dl), avgdl: avgdl, n: stats.n, terms: $0) })
    }

    /// Phrase and proximity boosts from the occurrences recorded for the current document; each
    /// is appended to `parts` unless it is nil.
    private mutating func boosts(dl: Double, parts: inout [TermExplanation]?) -> Double {
        var total = 0.0
        // Phrase boost; remember which sequences occur, for the proximity boost.
        foundCount = 0
        for si in 0..<sequenceWordCounts.count where occCounts[si] > 0 {
            found[foundCount] = si
            foundCount += 1
            if sequenceWordCounts[si] >= 2 {
                let count = Int(occCounts[si])
                let idf = sequenceIdf[si]
                let v = Scoring.phraseWeight * idf * Scoring.tfPart(tf: Double(count), dl: dl, avgdl: avgdl)
                total += v
                parts?.append(TermExplanation(term: sequences[si].normalized, kind: "phrase", tf: count, df: 0, idf: idf, score: v))
            }
        }
        // Proximity boost between consecutive terms of the query.
        if foundCount >= 2 {
            for k in 1..<foundCount {
                let a = found[k - 1], b = found[k]
                guard sequenceKeys[a] != sequenceKeys[b] else { continue }
                let gap = Self.minGap(occStarts[a], occStarts[b])
                let idf = (sequenceIdf[a] + sequenceIdf[b]) / 2
                let v = Scoring.proximityWeight * idf / (1 + Double(gap) / 8)
                total += v
                if parts != nil {
                    parts!.append(TermExplanation(term: sequences[a].normalized + "~" + sequences[b].normalized, kind: "proximity",
                                                  tf: gap, df: 0, idf: idf, score: v))
                }
            }
        }
        return total
    }

    /// Smallest |a − b| over two sorted lists.
    static func minGap(_ a: UnsafeBufferPointer<UInt32>, _ b: UnsafeBufferPointer<UInt32>) -> Int {
        var i = a.startIndex, j = b.startIndex
        var best = Int.max
        while i < a.endIndex && j < b.endIndex {
            let d = Int(a[i]) - Int(b[j])
            best = min(best, abs(d))
            if d < 0 { i += 1 } else { j += 1 }
        }
        return best
    }
}
