import Foundation
import Testing
@testable import UFIndex

struct PostingsRoundTrip {
    /// Random postings lists of several sizes (one block, exactly one block, many blocks).
    @Test(arguments: [1, 5, 127, 128, 129, 300, 1000])
    func encodeDecode(df: Int) throws {
        try roundTrip(df: df, wide: false)
    }

    /// Outliers among small values: patched exceptions in doc gaps and tfs, long Rice codes.
    @Test(arguments: [1, 60, 128, 129, 700])
    func encodeDecodeWithOutliers(df: Int) throws {
        try roundTrip(df: df, wide: true)
    }

    func roundTrip(df: Int, wide: Bool) throws {
        var rng = SystemRandomNumberGenerator()
        var docs = [Int32]()
        var d: Int32 = -1
        func rare() -> Bool { wide && Int.random(in: 0..<15, using: &rng) == 0 }
        for _ in 0..<df { d += rare() ? Int32.random(in: 1...30_000, using: &rng) : Int32.random(in: 1...20, using: &rng); docs.append(d) }
        let tfs = docs.map { _ in rare() ? UInt32.random(in: 1...3000, using: &rng) : UInt32.random(in: 1...6, using: &rng) }
        let positions: [[UInt32]] = tfs.map { tf in
            var p: UInt32 = rare() ? UInt32.random(in: 0...2_000_000_000, using: &rng) : 0
            return (0..<tf).map { _ in p += rare() ? UInt32.random(in: 1...100_000, using: &rng) : UInt32.random(in: 1...50, using: &rng); return p }
        }
        let lengths = docs.map { _ in UInt32.random(in: 1...5000, using: &rng) }
        // Unit counts by doc id (as in .docs): above each document's last position, sometimes far above.
        var unitTable = [UInt32](repeating: 1, count: Int(d) + 2)
        for i in 0..<df { unitTable[Int(docs[i])] = positions[i].last! + 1 + (rare() ? UInt32.random(in: 0...1_000_000, using: &rng) : UInt32.random(in: 0...300, using: &rng)) }
        let enc = PostingsEncoder(hasPositions: true)
        for i in 0..<df {
            positions[i].withUnsafeBufferPointer { enc.add(doc: docs[i], tf: tfs[i], length: lengths[i], units: unitTable[Int(docs[i])], positions: $0) }
        }
        let (post, pos) = enc.finish()
        try unitTable.withUnsafeBytes { units in
        try post.withUnsafeBytes { pb in
            try pos.withUnsafeBytes { qb in
                // Sequential.
                let c = try PostingsCursor(postings: ByteReader(pb, file: "t.post"), positions: ByteReader(qb, file: "t.pos"), df: df, maxTf: enc.maxTf, units: units)
                var got = [UInt32]()
                for i in 0..<df {
                    try c.next()
                    #expect(c.doc == docs[i])
                    #expect(c.tf == tfs[i])
                    if i % 3 == 0 {  // read some positions, skip others
                        try c.positions(into: &got)
                        #expect(got == positions[i])
                    }
                }
                try c.next()
                #expect(c.isExhausted)
                // Block bounds hold for every block.
                // Sparse reads: positions every 37th document (decoders jump by skip marks).
                let sparse = try PostingsCursor(postings: ByteReader(pb, file: "t.post"), positions: ByteReader(qb, file: "t.pos"), df: df, maxTf: enc.maxTf, units: units)
                for i in 0..<df {
                    try sparse.next()
                    if i % 37 == 36 {
                        try sparse.positions(into: &got)
                        #expect(got == positions[i])
                    }
                }
                // (A one-block list has no skip table: its bounds are the dictionary's maxTf and length 1.)
                for b in 0..<c.blockCount {
                    let range = (b * postingsBlockSize)..<min(df, (b + 1) * postingsBlockSize)
                    #expect(c.blockBounds(b).maxTf == range.map { tfs[$0] }.max())
                    if c.blockCount > 1 {
                        #expect(c.blockBounds(b).minLength == range.map { lengths[$0] }.min())
                    } else {
                        #expect(c.blockBounds(b).minLength <= range.map { lengths[$0] }.min()!)
                    }
                    #expect(c.blockLastDoc(b) == docs[range.last!])
                }
                // Advancing to random targets.
                for _ in 0..<50 {
                    let a = try PostingsCursor(postings: ByteReader(pb, file: "t.post"), positions: ByteReader(qb, file: "t.pos"), df: df, maxTf: enc.maxTf, units: units)
                    let target = Int32.random(in: 0...(d + 2), using: &rng)
                    try a.advance(to: target)
                    if let i = docs.firstIndex(where: { $0 >= target }) {
                        #expect(a.doc == docs[i])
                        try a.positions(into: &got)
                        #expect(got == positions[i])
                    } else {
                        #expect(a.isExhausted)
                    }
                }
            }
        }
        }
    }

    @Test func corruptPostingsThrowInsteadOfTrapping() throws {
        let enc = PostingsEncoder(hasPositions: true)
        for i in 0..<300 { [UInt32(1), 5].withUnsafeBufferPointer { enc.add(doc: Int32(i * 2), tf: 2, length: 10, units: 6, positions: $0) } }
        let (post, pos) = enc.finish()
        let unitTable = [UInt32](repeating: 6, count: 600)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var p = post, q = pos
            p[Int.random(in: 0..<p.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            if Bool.random(using: &rng) { q.removeLast(Int.random(in: 0..<q.count, using: &rng)) }
            unitTable.withUnsafeBytes { units in
            p.withUnsafeBytes { pb in
                q.withUnsafeBytes { qb in
                    do {
                        let c = try PostingsCursor(postings: ByteReader(pb, file: "t.post"), positions: ByteReader(qb, file: "t.pos"), df: 300, units: units)
                        var got = [UInt32]()
                        for _ in 0..<400 {
                            try c.next()
                            if c.isExhausted { break }
                            try c.positions(into: &got)
                        }
                    } catch is IndexError {
                        // expected for most flips
                    } catch {
                        Issue.record("unexpected error \(error)")
                    }
                }
            }
            }
        }
    }
}

struct TermDictionaryRoundTrip {
    @Test func lookupsAndPrefixScans() throws {
        try withTempDir { dir in
            var keys = Set<[UInt8]>()
            for c in ["宗", "教", "中", "国", "化", "统", "战"] {
                keys.insert(TermKey.bigram(c.unicodeScalars.first!.value, 0))
                for d in ["教", "国", "化", "线", "a"] { keys.insert(TermKey.bigram(c.unicodeScalars.first!.value, d.unicodeScalars.first!.value)) }
            }
            for i in 0..<200 { keys.insert(TermKey.text(.word, "词\(i)")); keys.insert(TermKey.text(.token, "tok\(i)")) }
            let sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
            var w = TermDictionaryWriter()
            var posOffsets = [Int]()
            var posAt = 0
            for (i, k) in sorted.enumerated() {
                let ql = k.first == TermKind.word.rawValue ? 0 : 3   // words have no positions
                posOffsets.append(posAt)
                w.add(key: k, info: TermInfo(df: i + 1, postOffset: i * 10, postLength: 10, posOffset: posAt, posLength: ql, maxTf: UInt32(i % 7),
                                                    hasPositions: k.first != TermKind.word.rawValue))
                posAt += ql
            }
            let path = dir + "/t.terms"
            let sink = try FileSink(path: path)
            try w.write(to: sink)
            try sink.finish(kind: .terms)
            let f = try MappedFile(path: path)
            let r = try TermDictionaryReader(body: try FileFooter.validate(f, kind: .terms, verifyChecksum: true), file: path)
            #expect(r.termCount == sorted.count)
            for (i, k) in sorted.enumerated() {
                let info = try r.lookup(k)
                #expect(info?.df == i + 1)
                #expect(info?.postOffset == i * 10)
                #expect(info?.posOffset == posOffsets[i])
                #expect(info?.maxTf == (i == 0 ? UInt32.max : UInt32(i % 7)))   // df 1: maxTf not stored
            }
            #expect(try r.lookup(TermKey.text(.word, "没有")) == nil)
            // Keys next to stored ones (extensions, prefixes, neighbours) are found exactly when stored.
            for k in sorted {
                var near: [[UInt8]] = [k + [0], k + [0xFF], Array(k.dropLast())]
                if let last = k.last {
                    if last < 0xFF { near.append(k.dropLast() + [last + 1]) }
                    if last > 0 { near.append(k.dropLast() + [last - 1]) }
                }
                for q in near {
                    let info = try r.lookup(q)
                    #expect((info != nil) == keys.contains(q), "lookup of \(q)")
                    if let info, let i = sorted.firstIndex(of: q) { #expect(info.df == i + 1) }
                }
            }
            #expect(try r.lookup([0x41]) == nil)
            #expect(try r.lookup([0xFF, 0xFF]) == nil)
            var scanned = [[UInt8]]()
            try r.prefixScan(TermKey.bigram("国".unicodeScalars.first!.value, 0)) { k, _ in scanned.append(k) }
            #expect(scanned.count == 6)
            #expect(scanned.first == TermKey.bigram("国".unicodeScalars.first!.value, 0))
            var all = [[UInt8]]()
            var c = try #require(try r.cursor())
            while let (k, _) = try c.next() { all.append(k) }
            #expect(all == sorted)
        }
    }
}

struct TombstoneAndPolicy {
    @Test func tombstonesRoundTrip() throws {
        var t = Tombstones(docCount: 21)
        for d in [0, 7, 8, 20] { t.insert(d) }
        #expect(t.count == 4)
        let body = t.body().buffer
        let u = try body.withUnsafeBytes { try Tombstones(body: $0, docCount: 21, file: "x.del") }
        #expect(u == t)
        #expect(u.contains(20) && !u.contains(19))
        #expect(throws: IndexError.self) { try body.withUnsafeBytes { try Tombstones(body: $0, docCount: 22, file: "x.del") } }
    }

    @Test func tieredPolicy() {
        let p = MergePolicy()
        let small = (1...7).map { SegmentEntry(id: UInt64($0), docCount: 10, fileSizes: [3: 1000]) }
        #expect(p.pick(small) == nil)
        let eight = small + [SegmentEntry(id: 8, docCount: 10, fileSizes: [3: 1000])]
        #expect(p.pick(eight) == Array(0..<8))
        let big = SegmentEntry(id: 9, docCount: 100, fileSizes: [3: 500 << 20])
        #expect(p.pick(small + [big]) == nil)
        let holey = SegmentEntry(id: 10, docCount: 10, deletedCount: 6, delGeneration: 1, fileSizes: [3: 1000])
        #expect(p.pick([big, holey]) == [1])
    }
}
