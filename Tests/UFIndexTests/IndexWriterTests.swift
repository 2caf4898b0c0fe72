import Foundation
import Testing
@testable import UFIndex
import UFAnalysis
import UFTestSupport

/// A small archive on disk plus an index beside it.
struct Fixture {
    let root: String
    var corpus: String { root + "/docs" }
    var index: String { root + "/idx" }

    init(_ root: String) {
        self.root = root
        try! FileManager.default.createDirectory(atPath: root + "/docs/sub", withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) { writeFile(corpus + "/" + name, Array(text.utf8)) }
    func writeBytes(_ name: String, _ bytes: [UInt8]) { writeFile(corpus + "/" + name, bytes) }

    /// A document's path as the index keys it (relative to `root`, which holds the index),
    /// made absolute.
    func absolute(_ key: String) -> String { key.hasPrefix("/") ? key : root + "/" + key }

    /// Live documents as (absolute) path → title.
    func live() throws -> [String: String] { try liveInfos().mapValues(\.title) }

    /// Live documents as (absolute) path → record.
    func liveInfos() throws -> [String: DocumentInfo] {
        let s = try IndexSnapshot.open(index)
        return Dictionary(uniqueKeysWithValues: try s.liveDocuments().map { (absolute($0.info.path), $0.info) })
    }

    /// The original bytes `snap` holds for the live document at `path`, or nil when it has none.
    func original(_ snap: IndexSnapshot, _ path: String) throws -> [UInt8]? {
        guard let id = try snap.document(path: path), let (si, l) = snap.locate(id) else { return nil }
        return try snap.segments[si].original(l)
    }

    /// Writes the documents `(name, text)` and adds each in a commit of its own, in order (one
    /// segment each); returns the summaries of the adds.
    @discardableResult
    func addEachAlone(_ docs: [(String, String)]) throws -> [ChangeSummary] {
        try docs.map { name, text in
            write(name, text)
            return try IndexWriter(path: index).add(paths: [corpus + "/" + name])
        }
    }

    /// Runs `body` on the index as it is and again after a forced merge (which must commit),
    /// each time after checking the whole index.
    func beforeAndAfterMerge(_ body: (_ snap: IndexSnapshot, _ merged: Bool) throws -> Void) throws {
        for merged in [false, true] {
            if merged { #expect(try IndexWriter(path: index).forceMerge().committed) }
            let snap = try IndexSnapshot.open(index)
            try snap.verifyAll()
            try body(snap, merged)
        }
    }

    /// Paths of live documents whose segment has this term key.
    func docs(with key: [UInt8]) throws -> Set<String> {
        let s = try IndexSnapshot.open(index)
        var out = Set<String>()
        for seg in s.segments {
            guard let c = try seg.postings(key) else { continue }
            try c.next()
            while !c.isExhausted {
                if !seg.isDeleted(Int(c.doc)) { out.insert(absolute(try seg.info(Int(c.doc)).path)) }
                try c.next()
            }
        }
        return out
    }
}

func bigram(_ s: String) -> [UInt8] {
    let u = Array(s.unicodeScalars)
    return TermKey.bigram(u[0].value, u.count > 1 ? u[1].value : 0)
}

struct DocumentPathTests {
    @Test func cleanIsLexical() {
        let cases = ["": ".", ".": ".", "./": ".", "a": "a", "./a/": "a", "a//b/./c/": "a/b/c", "a/../b": "b", "../a": "../a",
                     "a/../../b": "../b", "/": "/", "//a//": "/a", "/..": "/", "/a/../..": "/", "/a/./b/../c": "/a/c", "a/..": "."]
        for (path, clean) in cases { #expect(DocumentPath.clean(path) == clean, "\(path)") }
    }

    @Test func keysAreRelativeToTheFolderHoldingTheIndex() throws {
        let p = try DocumentPath(indexDirectory: "index", cwd: "/home/me/proj")
        #expect(p.root == "/home/me/proj")
        for spelling in ["corpus/a.txt", "./corpus/a.txt", "corpus//a.txt", "/home/me/proj/corpus/a.txt", "corpus/sub/../a.txt"] {
            #expect(p.key(spelling) == "corpus/a.txt", "\(spelling)")
        }
        #expect(p.key(".") == ".")
        #expect(p.key("../other/b.txt") == "/home/me/other/b.txt")
        #expect(p.key("/srv/b.txt") == "/srv/b.txt")
        // From a subfolder, with the index named relative to it.
        let sub = try DocumentPath(indexDirectory: "../index", cwd: "/home/me/proj/corpus")
        #expect(sub.key("a.txt") == "corpus/a.txt")
        // Stored paths: relative ones are relative to the root.
        #expect(p.key(stored: "./corpus/a.txt") == "corpus/a.txt")
        #expect(p.key(stored: "/home/me/proj/corpus/a.txt") == "corpus/a.txt")
        // An index elsewhere: the corpus is outside its root, so keys are absolute.
        let far = try DocumentPath(indexDirectory: "/tmp/idx", cwd: "/home/me/proj")
        #expect(far.key("corpus/a.txt") == "/home/me/proj/corpus/a.txt")
        #expect(try DocumentPath(indexDirectory: "/idx", cwd: "/").key("a.txt") == "a.txt")
    }
}

struct DocumentFactsTests {
    /// A year comes from the title, else the path, else the first dated one in the (normalised)
    /// text; full-width digits in the raw title count, as NFKC makes them ASCII in the text.
    @Test(arguments: [
        ("２０１９年工作要点", "2021/a.txt", "", 2019),
        ("x86 ２０１９", "2021/a.txt", "", 2019),
        ("工作要点", "2021/a.txt", "2018年", 2021),
        ("工作要点", "misc/a.txt", "见2018年", 2018),
        ("工作要点", "misc/a.txt", "共2018人", 0),
        ("12019 年", "misc/a.txt", "", 0),
    ] as [(String, String, String, Int)])
    func yearFromTitlePathOrText(title: String, path: String, text: String, year: Int) {
        #expect(DocumentFacts.year(title: title, path: path, text: Array(text.utf16)) == UInt16(year))
    }
}

struct IndexWriterTests {
    /// One file named through different spellings of its path is one document: `add`, `index`,
    /// `rm` and lookups by path all find it, and the index's own folder is never indexed.
    @Test func oneFileIsOneDocumentHoweverItsPathIsSpelled() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            f.write("a.txt", "坚持我国宗教中国化方向")
            f.write("sub/b.txt", "统一战线")
            let cwd = try Sys.currentDirectory()
            let rel = f.corpus.hasPrefix(cwd + "/") ? String(f.corpus.dropFirst(cwd.count + 1)) : f.corpus
            let w = try IndexWriter(path: f.index)
            _ = try w.sync(roots: [f.corpus])
            #expect(try f.live().keys.sorted() == [f.corpus + "/a.txt", f.corpus + "/sub/b.txt"])
            #expect(try IndexSnapshot.open(f.index).liveDocuments().map(\.info.path).sorted() == ["docs/a.txt", "docs/sub/b.txt"])
            for spelling in [f.corpus + "/a.txt", f.corpus + "/./a.txt", f.corpus + "//sub/../a.txt", rel + "/a.txt"] {
                let s = try w.add(paths: [spelling])
                #expect(s.added == 0 && s.replaced == 0 && s.unchanged == 1, "\(spelling)")
            }
            #expect(try w.sync(roots: [f.corpus + "/", f.root + "/./docs"]).unchanged == 2)
            #expect(try w.sync(roots: [f.root]).unchanged == 2)  // the index's own files are not documents
            #expect(try f.live().count == 2)
            let snapshot = try IndexSnapshot.open(f.index)
            for spelling in ["docs/a.txt", f.corpus + "/a.txt", f.root + "/docs/sub/../a.txt"] {
                #expect(try snapshot.document(path: spelling) != nil, "\(spelling)")
            }
            #expect(try w.remove(paths: [f.corpus + "/./sub"]).removed == 1)
            #expect(try f.live().keys.sorted() == [f.corpus + "/a.txt"])
            w.close()
        }
    }

    @Test func syncAddsChangesAndRemoves() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            f.write("a.txt", "坚持我国宗教中国化方向\n统一战线工作")
            f.write("b.txt", "民族团结进步")
            f.write("sub/c.txt", "宗教工作")
            f.write("empty.txt", "")
            let warnings = Box()
            do {
                let w = try IndexWriter(path: f.index)
                let s = try w.sync(roots: [f.corpus])
                #expect(s.added == 4 && s.committed)
                w.close()
            }
            #expect(try f.live().count == 4)
            #expect(try f.live()[f.corpus + "/a.txt"] == "坚持我国宗教中国化方向")
            #expect(try f.docs(with: bigram("宗教")) == [f.corpus + "/a.txt", f.corpus + "/sub/c.txt"])
            // Unchanged: nothing to commit.
            do {
                let w = try IndexWriter(path: f.index)
                let s = try w.sync(roots: [f.corpus])
                #expect(!s.committed && s.unchanged == 4)
            }
            // Change one, remove one, add one and a binary file.
            f.write("b.txt", "宗教和顺")
            try FileManager.default.removeItem(atPath: f.corpus + "/sub/c.txt")
            f.write("d.txt", "乡村振兴")
            f.writeBytes("bin.dat", [0x7F, 0x45, 0x4C, 0x46, 0, 0, 1, 2, 0xFF, 0xFE])
            do {
                let w = try IndexWriter(path: f.index)
                w.onWarning = { p, m in warnings.append(p + ": " + m) }
                let s = try w.sync(roots: [f.corpus])
                #expect(s.added == 1 && s.replaced == 1 && s.removed == 1 && s.skipped == 1)
            }
            #expect(warnings.items.count == 1 && warnings.items[0].contains("bin.dat"))
            #expect(Set(try f.live().keys) == [f.corpus + "/a.txt", f.corpus + "/b.txt", f.corpus + "/d.txt", f.corpus + "/empty.txt"])
            #expect(try f.docs(with: bigram("宗教")) == [f.corpus + "/a.txt", f.corpus + "/b.txt"])
            #expect(try f.docs(with: bigram("团结")).isEmpty)
            let snap = try IndexSnapshot.open(f.index)
            #expect(snap.generation >= 2)  // the commit, and maybe a merge of a half-deleted segment
            try snap.verifyAll()
        }
    }

    @Test func addRemoveAndForceMerge() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            for i in 0..<30 { f.write("f\(i).txt", "第\(i)号文件：宗教中国化\(i % 3 == 0 ? "，统一战线" : "")") }
            for i in 0..<30 {
                let w = try IndexWriter(path: f.index)  // one segment per commit: the policy merges as it goes
                _ = try w.add(paths: [f.corpus + "/f\(i).txt"])
            }
            var snap = try IndexSnapshot.open(f.index)
            #expect(snap.segments.count < 8)
            #expect(snap.liveDocCount == 30)
            let w = try IndexWriter(path: f.index)
            let r = try w.remove(paths: [f.corpus + "/f3.txt", f.corpus + "/f4.txt"])
            #expect(r.removed == 2)
            let before = try f.docs(with: bigram("战线"))
            #expect(before.count == 9)
            let avgBefore = try IndexSnapshot.open(f.index).averageLength
            _ = try w.forceMerge()
            snap = try IndexSnapshot.open(f.index)
            #expect(snap.segments.count == 1)
            #expect(snap.manifest.segments[0].deletedCount == 0)
            #expect(snap.liveDocCount == 28)
            #expect(try f.docs(with: bigram("战线")) == before)
            #expect(abs(snap.averageLength - avgBefore) < 1e-9)
            try snap.verifyAll()
            // Positions survive the merge.
            let seg = snap.segments[0]
            let c = try #require(try seg.postings(bigram("中国")))
            try c.next()
            var pos = [UInt32]()
            try c.positions(into: &pos)
            #expect(pos.count == 1)
            // Stored text survives merges (blocks copied or recompressed).
            for i in [0, 5, 29] {
                let id = try #require(try snap.document(path: f.corpus + "/f\(i).txt"))
                let text = "第\(i)号文件：宗教中国化\(i % 3 == 0 ? "，统一战线" : "")"
                #expect(try seg.original(id) == Array(text.utf8))
            }
        }
    }

    @Test func rebuildStartsOverEvenFromAnUnreadableFormat() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            f.write("a.txt", "坚持我国宗教中国化方向")
            f.write("sub/b.txt", "民族团结进步")
            let other = dir + "/other.txt"
            writeFile(other, Array("宗教工作".utf8))
            do {
                let w = try IndexWriter(path: f.index)
                _ = try w.sync(roots: [f.corpus])
                _ = try w.add(paths: [other])
            }
            #expect(try f.live().count == 3)
            // Make one segment file claim an older format version (its footer's version field).
            let pos = try #require(try FileManager.default.contentsOfDirectory(atPath: f.index).first { $0.hasSuffix(".pos") })
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: f.index + "/" + pos)))
            let v = bytes.count - FileFooter.size + 14  // bodyLength u64, crc u32, kind u16, then version
            bytes[v] = UInt8(FileFooter.currentVersion(.positions) - 1)
            writeFile(f.index + "/" + pos, bytes)
            #expect(throws: IndexError.self) { _ = try IndexSnapshot.open(f.index) }
            #expect(throws: IndexError.self) { _ = try IndexWriter(path: f.index).sync(roots: [f.corpus]) }
            // The rebuild keeps only what the roots hold: `other` leaves, a and b come back.
            let w = try IndexWriter(path: f.index)
            let s = try w.rebuild(roots: [f.corpus])
            #expect(s.added == 2 && s.removed == 3 && s.committed)
            w.close()
            #expect(Set(try f.live().keys) == [f.corpus + "/a.txt", f.corpus + "/sub/b.txt"])
            #expect(try f.docs(with: bigram("宗教")) == [f.corpus + "/a.txt"])
            #expect(!FileManager.default.fileExists(atPath: f.index + "/" + pos))
            try IndexSnapshot.open(f.index, verify: true).verifyAll()
        }
    }

    @Test func secondWriterFailsClearly() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            f.write("a.txt", "宗教")
            let w = try IndexWriter(path: f.index)
            #expect(throws: IndexError.locked(path: f.index + "/LOCK")) { _ = try IndexWriter(path: f.index) }
            w.close()
            _ = try IndexWriter(path: f.index)
        }
    }

    @Test func gb18030AndBinaryAndEmpty() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            f.writeBytes("gbk.txt", [0xD6, 0xD0, 0xCE, 0xC4, 0xD7, 0xDA, 0xBD, 0xCC])  // 中文宗教 in GBK
            f.writeBytes("zero.bin", [0, 0, 0, 0])
            f.write("empty.txt", "")
            let w = try IndexWriter(path: f.index)
            let warned = Box()
            w.onWarning = { p, _ in warned.append(p) }
            let s = try w.sync(roots: [f.corpus])
            #expect(s.added == 2 && s.skipped == 1)
            #expect(warned.items == [f.corpus + "/zero.bin"])
            #expect(try f.docs(with: bigram("宗教")) == [f.corpus + "/gbk.txt"])
            #expect(try f.original(IndexSnapshot.open(f.index), f.corpus + "/gbk.txt") == [0xD6, 0xD0, 0xCE, 0xC4, 0xD7, 0xDA, 0xBD, 0xCC])
        }
    }

    /// `add` of an empty file alone commits a segment of one empty document: it reads back,
    /// passes `check` and merges (its store once named a block it did not have).
    @Test func anEmptyFileAloneMakesAGoodSegment() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            #expect(try f.addEachAlone([("a.txt", "宗教中国化"), ("empty.txt", "")]).map(\.added) == [1, 1])
            try f.beforeAndAfterMerge { (snap: IndexSnapshot, merged: Bool) throws in
                #expect(snap.segments.count == (merged ? 1 : 2))
                #expect(try f.original(snap, f.corpus + "/empty.txt") == [])
            }
        }
    }

    @Test func missingIndexAndCorruptFiles() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            #expect(throws: IndexError.missingIndex(path: f.index)) { _ = try IndexSnapshot.open(f.index) }
            f.write("a.txt", String(repeating: "宗教中国化方向，统一战线。", count: 200))
            _ = try IndexWriter(path: f.index).sync(roots: [f.corpus])
            let names = try FileManager.default.contentsOfDirectory(atPath: f.index).filter { $0.hasPrefix("seg-") }
            #expect(names.count == 5)
            for name in names {
                let path = f.index + "/" + name
                let original = try Data(contentsOf: URL(fileURLWithPath: path))
                var bytes = [UInt8](original)
                bytes[bytes.count / 2] ^= 0x5A
                writeFile(path, bytes)
                let err = corruptError { let s = try IndexSnapshot.open(f.index, verify: true); try s.verifyAll(); return s }
                #expect(err?.file == path, "flipping a byte in \(name)")
                writeFile(path, [UInt8](original))
            }
            try IndexSnapshot.open(f.index, verify: true).verifyAll()
        }
    }
}

/// Collects strings from callbacks that may run on worker threads.
final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = [String]()
    var items: [String] { lock.lock(); defer { lock.unlock() }; return storage }
    func append(_ s: String) { lock.lock(); storage.append(s); lock.unlock() }
}

/// Unit anchors: where snippets of a match deep in a long document may start reading.
struct UnitAnchorTests {
    /// A long text of Han, Traditional forms, Latin words, numbers, punctuation, spaces and
    /// line breaks (about `bytes` UTF-8 bytes), the same for a given seed.
    static func longText(bytes: Int, seed: UInt64) -> String {
        let pieces = ["统一战线", "統一戰線", "宗教 中国化", "Linux 内核", "UTF-8", "２０２１年", "，", "。", "\n", " ", "工作要点",
                      "abc123", "㈱", "民营经济", "“引号”", "e\u{301}", "数据处理活动"]
        var rng = SplitMix64(seed: seed)
        var text = ""
        while text.utf8.count < bytes { text += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
        return text
    }

    @Test func longUTF8DocumentsGetAnchorsAtBasicHanCharacters() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            let long = Self.longText(bytes: 60_000, seed: 5)
            f.write("long.txt", long)
            f.write("short.txt", "统一战线工作要点")
            f.writeBytes("gb.txt", Array(repeating: [0xD6, 0xD0, 0xB9, 0xFA], count: 6000).flatMap { $0 })  // 中国 × 6000 in GB18030
            _ = try IndexWriter(path: f.index).sync(roots: [f.corpus])
            let snap = try IndexSnapshot.open(f.index)
            func info(_ name: String) throws -> DocumentInfo {
                let id = try #require(try snap.document(path: f.corpus + "/" + name))
                let (s, l) = try #require(snap.locate(id))
                return try snap.segments[s].info(l)
            }
            #expect(try info("short.txt").anchors.isEmpty)
            let gb = try info("gb.txt")
            #expect(gb.encoding == .gb18030 && gb.units > 2 * unitAnchorInterval && gb.anchors.isEmpty)
            let li = try info("long.txt")
            // The anchors name the units the analysis numbers, at Han characters of the basic block.
            let analysis = try Analyzer().analyze(bytes: Array(long.utf8))
            let units = analysis.units
            #expect(li.units == UInt32(units.count))
            #expect(li.anchors.count >= Int(li.units / unitAnchorInterval) - 2)
            var previous: UInt32 = 0
            let bytes = Array(long.utf8)
            for a in li.anchors {
                #expect(a.unit >= previous + unitAnchorInterval)
                previous = a.unit
                let u = units[Int(a.unit)]
                #expect(u.kind == .char)
                #expect(analysis.originalRange(u.start, u.end).lowerBound == Int(a.byte))
                let scalar = String(decoding: bytes[Int(a.byte)..<Int(a.byte) + 3], as: UTF8.self).unicodeScalars.first!.value
                #expect((0x4E00...0x9FFF).contains(scalar))
            }
            // A merge copies them.
            _ = try IndexWriter(path: f.index).forceMerge()
            let merged = try IndexSnapshot.open(f.index)
            let id = try #require(try merged.document(path: f.corpus + "/long.txt"))
            let (s, l) = try #require(merged.locate(id))
            #expect(try merged.segments[s].info(l).anchors == li.anchors)
            try merged.verifyAll()
            // A .docs file whose anchors are intact but point one byte off: check finds it.
            let seg = merged.segments[0]
            var docs = [DocumentInfo](), locations = [(block: UInt32, offset: UInt32)]()
            for d in 0..<seg.docCount {
                var (info, block, offset) = try seg.docs.info(d)
                info.anchors = info.anchors.map { UnitAnchor(unit: $0.unit, byte: $0.byte + 1) }
                docs.append(info)
                locations.append((block, offset))
            }
            let path = IndexDirectory(path: f.index).segmentFilePath(id: seg.entry.id, kind: .docs)
            try FileManager.default.removeItem(atPath: path)
            let sink = try FileSink(path: path)
            try DocTableWriter.write(docs: docs, locations: locations, to: sink)
            _ = try sink.finish(kind: .docs)
            let e = corruptError { try IndexSnapshot.open(f.index).verifyAll() }
            #expect(e?.file == path && e?.detail.contains("anchor") == true)
        }
    }

    /// Anchors out of order or outside the document are corruption.
    @Test func badAnchorsAreCorruption() throws {
        try withTempDir { dir in
            let base = DocumentInfo(path: "a.txt", title: "t", size: 1000, mtimeNanos: 0, hash: 0, year: 0, encoding: .utf8,
                                    length: 10, units: 900)
            func read(_ anchors: [UnitAnchor]) throws -> [UnitAnchor] {
                var d = base
                d.anchors = anchors
                let path = dir + "/\(UUID().uuidString).docs"
                let sink = try FileSink(path: path)
                try DocTableWriter.write(docs: [d, base], locations: [(0, 0), (0, 1000)], to: sink)
                _ = try sink.finish(kind: .docs)
                let m = try MappedFile(path: path)
                let r = try DocTableReader(body: try FileFooter.validate(m, kind: .docs, verifyChecksum: true), file: path)
                #expect(try r.info(1).0.anchors.isEmpty)
                return try r.info(0).0.anchors
            }
            let good = [UnitAnchor(unit: 100, byte: 120), UnitAnchor(unit: 500, byte: 700)]
            let got = try read(good)
            #expect(got == good)
            #expect(corruptError { try read([UnitAnchor(unit: 900, byte: 10)]) } != nil)   // unit past the document
            #expect(corruptError { try read([UnitAnchor(unit: 10, byte: 1000)]) } != nil)  // byte past the document
            #expect(corruptError { try read([UnitAnchor(unit: 100, byte: 120), UnitAnchor(unit: 100, byte: 200)]) } != nil)
        }
    }
}

/// A merge split into two key ranges on two threads writes the same files as one thread.
struct ParallelMergeTests {
    @Test func splitMergesAreByteIdenticalToOneThread() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            for i in 0..<40 {
                f.write("f\(i).txt", UnitAnchorTests.longText(bytes: 2_000 + 300 * i, seed: UInt64(i)) + "第\(i)号")
            }
            // Several segments (no merges), two with deletions.
            var options = IndexOptions()
            options.mergePolicy.segmentsPerTier = Int.max
            let w = try IndexWriter(path: f.index, options: options)
            for i in stride(from: 0, to: 40, by: 10) {
                _ = try w.add(paths: (i..<i + 10).map { f.corpus + "/f\($0).txt" })
            }
            _ = try w.remove(paths: [f.corpus + "/f3.txt", f.corpus + "/f17.txt"])
            w.close()
            let snap = try IndexSnapshot.open(f.index)
            #expect(snap.segments.count >= 2)
            let kinds: [FileKind] = [.terms, .postings, .positions, .docs, .store]
            func files(_ name: String, threads: Int, split: [UInt8]?) throws -> [[UInt8]] {
                let out = IndexDirectory(path: dir + "/" + name)
                try FileManager.default.createDirectory(atPath: out.path, withIntermediateDirectories: true)
                _ = try SegmentMerger.merge(snap.segments, into: out, id: 1, threads: threads, split: split)
                #expect(listing(out.path).allSatisfy { !$0.contains(".tmp-") }, "temporary files removed")
                return kinds.map { readFile(out.segmentFilePath(id: 1, kind: $0)) ?? [] }
            }
            let one = try files("one", threads: 1, split: nil)
            // Split keys: before every term, inside the bigrams, between kinds, after every term.
            let splits: [[UInt8]] = [[0x00], bigram("统一"), bigram("战线"), [TermKind.token.rawValue], [TermKind.word.rawValue], [0xFF]]
            for (n, split) in splits.enumerated() {
                let two = try files("two\(n)", threads: 2, split: split)
                for (k, kind) in kinds.enumerated() { #expect(two[k] == one[k], "\(kind) differs with split \(split)") }
            }
            // The automatic split key halves the largest source's postings and positions bytes.
            let key = try #require(try SegmentMerger.splitKey(snap.segments, minimumBytes: 0))
            #expect(try SegmentMerger.splitKey(snap.segments, minimumBytes: Int.max) == nil)
            let two = try files("auto", threads: 2, split: key)
            #expect(two == one)
        }
    }
}
