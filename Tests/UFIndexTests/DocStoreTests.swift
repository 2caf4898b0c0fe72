import Testing
import UFTestSupport
@testable import UFIndex

/// Documents of policy-like text: phrases drawn from a small vocabulary, so that a dictionary
/// trained on some of them helps compress the others.
func storeDocuments(count: Int, seed: UInt64, meanBytes: Int = 6000) -> [[UInt8]] {
    let phrases = ["坚持", "宗教中国化", "方向", "统一战线", "工作", "领导小组", "落实", "制度", "协调机制", "扎实做好",
                   "督查反馈意见", "整改", "巩固", "成果", "民营经济", "乡村振兴", "港澳台", "调研报告", "2021年", "第",
                   "条", "，", "。", "；", "\n", "Linux 内核", "铸牢中华民族共同体意识", "安全稳定", "政治环境", "发展"]
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { i in
        var text = "文件\(i)："
        let target = Int.random(in: 1...(2 * meanBytes), using: &rng)
        while text.utf8.count < target { text += phrases[Int.random(in: 0..<phrases.count, using: &rng)] }
        return Array(text.utf8)
    }
}

/// Writes a store of `docs` to `dir/name.store` and returns its path and the documents' locations.
func writeStore(_ docs: [[UInt8]], dir: String, name: String = "s") throws -> (String, [(block: UInt32, offset: UInt32)]) {
    let b = DocStoreBuilder()
    for d in docs { try d.withUnsafeBytes { try b.add($0) } }
    return (try writeStore(b, dir: dir, name: name), b.locations)
}

func writeStore(_ b: DocStoreBuilder, dir: String, name: String) throws -> String {
    let path = dir + "/" + name + ".store"
    let sink = try FileSink(path: path)
    try b.write(to: sink)
    try sink.finish(kind: .store)
    return path
}

/// Opens a store file the way a segment reader does.
func withStore<T>(_ path: String, _ body: (DocStoreReader) throws -> T) throws -> T {
    let f = try MappedFile(path: path)
    return try withExtendedLifetime(f) {
        try body(DocStoreReader(body: try FileFooter.validate(f, kind: .store, verifyChecksum: true), file: path))
    }
}

struct DocStoreTests {
    @Test func roundTripWithDictionary() throws {
        try withTempDir { dir in
            // More than the dictionary sample: trained while documents are added.
            let docs = storeDocuments(count: 900, seed: 1) + [[], Array(repeating: 0x41, count: 100_000)]
            let (path, locs) = try writeStore(docs, dir: dir)
            try withStore(path) { r in
                #expect(r.dictCount == 1)
                #expect(r.blockCount > docs.count / 8)
                for (i, d) in docs.enumerated() {
                    #expect(try r.document(block: locs[i].block, offset: locs[i].offset, size: UInt64(d.count)) == d)
                }
                // Blocks stay small, a large document going on across several.
                for b in 0..<r.blockCount {
                    let (_, raw, dict) = try r.compressedBlock(b)
                    #expect(dict == 1)
                    #expect(raw <= UInt32(storeBlockTarget))
                }
                #expect(locs[docs.count - 1].offset == 0)
                #expect(r.blockCount - Int(locs[docs.count - 1].block) == (100_000 + storeBlockTarget - 1) / storeBlockTarget)
                try r.verifyAll()
            }
            // The dictionary is used: its blocks are smaller than the same blocks compressed without one.
            try withStore(path) { r in
                var plain = 0, framed = 0
                for b in 0..<r.blockCount {
                    let block = try r.decompressBlock(UInt32(b))
                    plain += try Zstd.compress(block, level: storeLevel).count
                    framed += try r.compressedBlock(b).0.count
                }
                #expect(framed < plain * 9 / 10)
            }
        }
    }

    /// A large document fills blocks of its own, 8 KiB each, and the documents after it go on
    /// in its last block. Any range of it reads the same bytes as the whole, decompressing only
    /// the blocks that hold the range: a damaged block elsewhere in the document goes unnoticed
    /// until a range needs it.
    @Test func rangesOfLargeDocuments() throws {
        try withTempDir { dir in
            let big = storeDocuments(count: 1, seed: 9, meanBytes: 400_000)[0] + Array(repeating: 0x42, count: 300_000)
            let docs = storeDocuments(count: 700, seed: 10) + [big] + storeDocuments(count: 3, seed: 11)
            let (path, locs) = try writeStore(docs, dir: dir)
            let i = docs.count - 4
            #expect(locs[i].offset == 0)
            let pieces = (big.count + storeBlockTarget - 1) / storeBlockTarget
            #expect(locs[i + 1].block == locs[i].block + UInt32(pieces - 1))
            #expect(locs[i + 1].offset == UInt32(big.count - (pieces - 1) * storeBlockTarget))
            let t = storeBlockTarget
            let ranges = [(0, 0), (0, 1), (0, 16_385), (5, t), (t - 1, t + 1), (t, 2 * t), (3 * t + 7, 9 * t - 3),
                          (200_000, 200_001), (big.count - 10, big.count - 1), (big.count - 1, big.count), (0, big.count),
                          (100, .max), (big.count, .max), (big.count + 5, .max), (50, 20)]
            try withStore(path) { r in
                for (from, limit) in ranges {
                    let part = try r.withDocument(block: locs[i].block, offset: locs[i].offset, size: UInt64(big.count), from: from,
                                                  limit: limit) { Array($0) }
                    let end = min(limit, big.count), start = min(from, end)
                    #expect(part == Array(big[start..<end]), "\(from)..<\(limit)")
                    for j in [0, i - 1, i + 1, i + 2] {
                        #expect(try r.document(block: locs[j].block, offset: locs[j].offset, size: UInt64(docs[j].count)) == docs[j])
                    }
                }
            }
            // A damaged block in the middle of the document: ranges before and after it still read.
            var file = try #require(readFile(path))
            let damaged = Int(locs[i].block) + 10
            try withStore(path) { r in
                let frame = try r.compressedBlock(damaged).0
                file[frame.baseAddress! - r.body.baseAddress!] ^= 0xFF  // the frame's magic number
            }
            try file.withUnsafeBytes { buf in
                let r = try DocStoreReader(body: UnsafeRawBufferPointer(rebasing: buf[0..<buf.count - FileFooter.size]), file: "x.store")
                let read = { (from: Int, limit: Int) in
                    try r.withDocument(block: locs[i].block, offset: 0, size: UInt64(big.count), from: from, limit: limit) { Array($0) }
                }
                #expect(try read(0, 10 * t) == Array(big[0..<10 * t]))
                #expect(try read(11 * t, 12 * t + 5) == Array(big[11 * t..<12 * t + 5]))
                let e = corruptError { _ = try read(9 * t, 11 * t) }
                #expect(e?.file == "x.store")
            }
            // Without a dictionary too (too little text to train one).
            let small = Array(big.prefix(40_000))
            let (plain, plainLocs) = try writeStore([small], dir: dir, name: "plain")
            try withStore(plain) { r in
                #expect(r.dictCount == 0)
                #expect(r.blockCount == 5)
                let part = try r.withDocument(block: plainLocs[0].block, offset: 0, size: UInt64(small.count), from: 20_000, limit: 30_000) { Array($0) }
                #expect(part == Array(small[20_000..<30_000]))
                #expect(try r.document(block: plainLocs[0].block, offset: 0, size: UInt64(small.count)) == small)
            }
        }
    }

    /// A document whose size runs past the last block is corruption, found by `verifyExtent`
    /// from the block table alone, and by reading it.
    @Test func documentsRunningPastTheLastBlockAreCorrupt() throws {
        try withTempDir { dir in
            let docs = storeDocuments(count: 30, seed: 12)
            let (path, locs) = try writeStore(docs, dir: dir)
            try withStore(path) { r in
                let last = docs.count - 1
                try r.verifyExtent(block: locs[last].block, offset: locs[last].offset, size: UInt64(docs[last].count))
                let over = UInt64(docs[last].count + 1)
                #expect(corruptError { try r.verifyExtent(block: locs[last].block, offset: locs[last].offset, size: over) }?.file == path)
                #expect(corruptError { _ = try r.document(block: locs[last].block, offset: locs[last].offset, size: over) }?.file == path)
                #expect(corruptError { _ = try r.document(block: locs[0].block, offset: 0, size: UInt64.max) }?.file == path)
                let (_, raw, _) = try r.compressedBlock(0)
                #expect(corruptError { _ = try r.document(block: 0, offset: raw + 1, size: 0) }?.file == path)
            }
        }
    }

    @Test func smallStoresTrainAtFlushOrGoWithout() throws {
        try withTempDir { dir in
            // Enough text for a dictionary, trained when the store is written.
            let some = storeDocuments(count: 60, seed: 2)
            let (p1, l1) = try writeStore(some, dir: dir, name: "a")
            try withStore(p1) { (r: DocStoreReader) throws in
                #expect(r.dictCount == 1)
                for (i, d) in some.enumerated() { #expect(try r.document(block: l1[i].block, offset: l1[i].offset, size: UInt64(d.count)) == d) }
            }
            // Too little text: no dictionary.
            let few = [Array("宗教中国化".utf8), Array("统一战线".utf8)]
            let (p2, l2) = try writeStore(few, dir: dir, name: "b")
            try withStore(p2) { (r: DocStoreReader) throws in
                #expect(r.dictCount == 0)
                #expect(try r.compressedBlock(0).2 == 0)
                for (i, d) in few.enumerated() { #expect(try r.document(block: l2[i].block, offset: l2[i].offset, size: UInt64(d.count)) == d) }
            }
            // No documents at all.
            let (p3, _) = try writeStore([], dir: dir, name: "c")
            try withStore(p3) { (r: DocStoreReader) throws in
                #expect(r.blockCount == 0)
                #expect(r.dictCount == 0)
            }
        }
    }

    /// Every location names a block that exists, even that of an empty document with nothing
    /// before it in the last block: a store of empty documents alone, and empty documents after
    /// one that fills its blocks exactly, read back (directly and after a merge copies their blocks).
    @Test func emptyDocumentsNameBlocksThatExist() throws {
        try withTempDir { dir in
            let exact = Array(storeDocuments(count: 40, seed: 9).joined().prefix(2 * storeBlockTarget))
            let cases: [[[UInt8]]] = [[[]], [[], []], [exact, []], [Array("宗教".utf8), exact, [], []]]
            let merged = DocStoreBuilder()
            var all = [[UInt8]]()
            for (n, docs) in cases.enumerated() {
                let (path, locs) = try writeStore(docs, dir: dir, name: "e\(n)")
                try withStore(path) { r in
                    for (i, d) in docs.enumerated() {
                        #expect(Int(locs[i].block) < r.blockCount)
                        try r.verifyExtent(block: locs[i].block, offset: locs[i].offset, size: UInt64(d.count))
                        #expect(try r.document(block: locs[i].block, offset: locs[i].offset, size: UInt64(d.count)) == d)
                    }
                    try r.verifyAll()
                    try merged.appendBlocks(of: r, locations: locs)
                }
                all += docs
            }
            let pm = try writeStore(merged, dir: dir, name: "m")
            try withStore(pm) { (r: DocStoreReader) throws in
                for (i, d) in all.enumerated() {
                    let l = merged.locations[i]
                    #expect(try r.document(block: l.block, offset: l.offset, size: UInt64(d.count)) == d)
                }
            }
        }
    }

    @Test func mergeCopiesBlocksWithTheirDictionaries() throws {
        try withTempDir { dir in
            let a = storeDocuments(count: 200, seed: 3), b = storeDocuments(count: 150, seed: 4), c = storeDocuments(count: 30, seed: 5)
            let (pa, la) = try writeStore(a, dir: dir, name: "a")
            let (pb, lb) = try writeStore(b, dir: dir, name: "b")
            let merged = DocStoreBuilder()
            try withStore(pa) { r in try merged.appendBlocks(of: r, locations: la) }
            for d in c { try d.withUnsafeBytes { try merged.add($0) } }  // recompressed documents in between
            try withStore(pb) { r in try merged.appendBlocks(of: r, locations: lb) }
            let pm = try writeStore(merged, dir: dir, name: "m")
            let all = a + c + b
            try withStore(pm) { r in
                #expect(r.dictCount == 3)
                for (i, d) in all.enumerated() {
                    let l = merged.locations[i]
                    #expect(try r.document(block: l.block, offset: l.offset, size: UInt64(d.count)) == d)
                }
                try r.verifyAll()
            }
        }
    }

    /// More dictionaries than a context keeps copies of (``StoreDecoder/Context/afterDictionaryLimit``):
    /// blocks of the first ones decompress after the context's copy (made once a dictionary has
    /// served ``StoreDecoder/Context/afterDictionaryMinimumUses`` blocks), the others with the
    /// shared dictionary, in any order.
    @Test func blocksOfManyDictionariesDecompressInAnyOrder() throws {
        try withTempDir { dir in
            let sources = (0..<6).map { storeDocuments(count: 150, seed: 20 + UInt64($0)) }
            let merged = DocStoreBuilder()
            var firstLocation = [Int]()
            for (k, docs) in sources.enumerated() {
                let (p, l) = try writeStore(docs, dir: dir, name: "s\(k)")
                firstLocation.append(merged.locations.count)
                try withStore(p) { r in try merged.appendBlocks(of: r, locations: l) }
            }
            let pm = try writeStore(merged, dir: dir, name: "m")
            #expect(StoreDecoder.Context.afterDictionaryLimit < sources.count)
            try withStore(pm) { (r: DocStoreReader) throws in
                #expect(r.dictCount == sources.count)
                // Round robin over the sources, so that every context meets every dictionary.
                for round in 0..<2 {
                    for i in stride(from: round, to: 150, by: 7) {
                        for (k, docs) in sources.enumerated() {
                            let l = merged.locations[firstLocation[k] + i]
                            #expect(try r.document(block: l.block, offset: l.offset, size: UInt64(docs[i].count)) == docs[i])
                        }
                    }
                }
            }
        }
    }

    /// Damaged tables and frames are reported as corruption of the store file, never a trap.
    @Test func corruptStoresThrow() throws {
        try withTempDir { dir in
            let docs = storeDocuments(count: 120, seed: 6)
            let (path, locs) = try writeStore(docs, dir: dir)
            let file = try #require(readFile(path))
            let body = Array(file.dropLast(FileFooter.size))
            let blockCount = Int(body.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: body.count - 8, as: UInt32.self) })
            let dictCount = Int(body.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: body.count - 4, as: UInt32.self) })
            #expect(dictCount == 1)
            let dictTable = body.count - 8 - 12 * dictCount
            let blockTable = dictTable - 20 * blockCount

            func open(_ bytes: [UInt8]) throws -> [[UInt8]] {
                try bytes.withUnsafeBytes { buf in
                    let r = try DocStoreReader(body: buf, file: "x.store")
                    try r.verifyAll()
                    return try docs.indices.map { try r.document(block: locs[$0].block, offset: locs[$0].offset, size: UInt64(docs[$0].count)) }
                }
            }
            func patch(_ at: Int, _ value: UInt64, width: Int) -> [UInt8] {
                var b = body
                for k in 0..<width { b[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
                return b
            }
            #expect(try open(body) == docs)
            let cases: [(String, [UInt8])] = [
                ("short", Array(body.prefix(5))),
                ("huge block count", patch(body.count - 8, UInt64(UInt32.max), width: 4)),
                ("huge dictionary count", patch(body.count - 4, UInt64(UInt32.max), width: 4)),
                ("block offset past the tables", patch(blockTable, UInt64(blockTable), width: 8)),
                ("block length past the tables", patch(blockTable + 8, UInt64(UInt32.max), width: 4)),
                ("wrong raw length", patch(blockTable + 12, 3, width: 4)),
                ("dictionary number out of range", patch(blockTable + 16, 2, width: 4)),
                ("no dictionary for a dictionary frame", patch(blockTable + 16, 0, width: 4)),
                ("dictionary offset out of range", patch(dictTable, UInt64.max, width: 8)),
                ("dictionary length out of range", patch(dictTable + 8, UInt64(UInt32.max), width: 4)),
                ("dictionary header damaged", patch(Int(body.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: dictTable, as: UInt64.self) }) + 5, 0xFF, width: 1)),
            ]
            for (name, bytes) in cases {
                let e = corruptError { try open(bytes) }
                #expect(e?.file == "x.store", "\(name)")
            }
            // Any single damaged byte: the right documents or a corruption error.
            var rng = SplitMix64(seed: 7)
            for _ in 0..<300 {
                var b = body
                let at = Int.random(in: 0..<b.count, using: &rng)
                b[at] ^= UInt8.random(in: 1...255, using: &rng)
                do { _ = try open(b) } catch let IndexError.corrupt(file, _) { #expect(file == "x.store") }
            }
        }
    }

    @Test func storeFilesCarryVersion3() throws {
        try withTempDir { dir in
            let (path, _) = try writeStore(storeDocuments(count: 3, seed: 8), dir: dir)
            let file = try #require(readFile(path))
            try file.withUnsafeBytes { (buf: UnsafeRawBufferPointer) throws -> Void in
                #expect(try FileFooter.read(buf, file: path).version == 3)
                var old = file
                old[old.count - 10] = 2  // the version field's low byte: a store written by the previous format
                old.withUnsafeBytes { (o: UnsafeRawBufferPointer) -> Void in
                    #expect(throws: IndexError.unsupportedVersion(file: path, found: 2, expected: 3)) {
                        _ = try FileFooter.validate(o, file: path, kind: .store, verifyChecksum: false)
                    }
                }
            }
        }
    }
}
