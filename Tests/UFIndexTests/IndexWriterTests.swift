import Foundation
import Testing
@testable import UFIndex

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

    /// Live documents as path → title.
    func live() throws -> [String: String] {
        let s = try IndexSnapshot.open(index)
        return Dictionary(uniqueKeysWithValues: try s.liveDocuments().map { ($0.info.path, $0.info.title) })
    }

    /// Paths of live documents whose segment has this term key.
    func docs(with key: [UInt8]) throws -> Set<String> {
        let s = try IndexSnapshot.open(index)
        var out = Set<String>()
        for seg in s.segments {
            guard let c = try seg.postings(key) else { continue }
            try c.next()
            while !c.isExhausted {
                if !seg.isDeleted(Int(c.doc)) { out.insert(try seg.info(Int(c.doc)).path) }
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

struct IndexWriterTests {
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
            let snap = try IndexSnapshot.open(f.index)
            let id = try #require(try snap.document(path: f.corpus + "/gbk.txt"))
            let (si, l) = try #require(snap.locate(id))
            #expect(try snap.segments[si].original(l) == [0xD6, 0xD0, 0xCE, 0xC4, 0xD7, 0xDA, 0xBD, 0xCC])
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
