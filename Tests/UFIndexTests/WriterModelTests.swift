import Foundation
import Testing
import UFTestSupport
@testable import UFIndex
#if canImport(Glibc)
import Glibc
#endif

/// The writer against a model: random changes to a folder of files whose sizes and kinds are the
/// ones the store and the writer treat differently (empty; a block's size exactly; two blocks;
/// several; GB18030; binary; one unit or none), each followed by `sync`, `add`, `rm` or a forced merge with one to
/// three threads. After every step the index holds exactly the model's documents, each with its
/// original bytes, passes every check, and finds 宗教 in exactly the documents whose text has it.
struct WriterModelTests {
    /// One file's bytes, and its decoded text (nil: the writer skips it as binary).
    struct Content { var bytes: [UInt8]; var text: String? }

    static func content(_ rng: inout SplitMix64) -> Content {
        let phrases = ["宗教", "中国化", "方向", "统一战线", "工作", "民营经济", "，", "。", "\n", "第3条"]
        func text(bytes n: Int) -> String {
            var t = ""
            while t.utf8.count < n - 12 { t += phrases[Int.random(in: 0..<phrases.count, using: &rng)] }
            return t + String(repeating: "a", count: max(0, n - t.utf8.count))
        }
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: return Content(bytes: [], text: "")
        case 1: let t = text(bytes: Int.random(in: 1...300, using: &rng)); return Content(bytes: Array(t.utf8), text: t)
        case 2: let t = text(bytes: storeBlockTarget); return Content(bytes: Array(t.utf8), text: t)
        case 3: let t = text(bytes: 2 * storeBlockTarget); return Content(bytes: Array(t.utf8), text: t)
        case 4: let t = text(bytes: Int.random(in: 9_000...40_000, using: &rng)); return Content(bytes: Array(t.utf8), text: t)
        case 5: return Content(bytes: [0xD6, 0xD0, 0xCE, 0xC4, 0xD7, 0xDA, 0xBD, 0xCC], text: "中文宗教")  // GBK
        case 6: return Content(bytes: [0x7F, 0x45, 0x4C, 0x46, 0, 0, 1, 2], text: nil)
        case 7:  // one unit, or none
            let t = ["宗", "HELLO", "１２３", "。", " \n\t", "教"][Int.random(in: 0..<6, using: &rng)]
            return Content(bytes: Array(t.utf8), text: t)
        default: let t = text(bytes: Int.random(in: 300...8_000, using: &rng)); return Content(bytes: Array(t.utf8), text: t)
        }
    }

    @Test(arguments: Array(UInt64(1)...12))
    func randomStepsMatchTheModel(seed: UInt64) throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            var rng = SplitMix64(seed: seed)
            let names = (0..<10).map { $0 < 7 ? "f\($0).txt" : "sub/f\($0).txt" }
            var disk = [String: Content]()      // name → what the file holds now
            var model = [String: Content]()     // name → what the index should hold
            for step in 0..<24 {
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let name = names[Int.random(in: 0..<names.count, using: &rng)]
                    if disk[name] != nil && Int.random(in: 0..<4, using: &rng) == 0 {
                        try FileManager.default.removeItem(atPath: f.corpus + "/" + name)
                        disk[name] = nil
                    } else {
                        let c = Self.content(&rng)
                        f.writeBytes(name, c.bytes)
                        disk[name] = c
                    }
                }
                var options = IndexOptions()
                options.threads = Int.random(in: 1...3, using: &rng)
                let w = try IndexWriter(path: f.index, options: options)
                let op = Int.random(in: 0..<4, using: &rng)
                switch op {
                case 0:
                    _ = try w.sync(roots: [f.corpus])
                    model = disk.filter { $0.value.text != nil }
                case 1:
                    let some = Array(disk.keys.sorted().shuffled(using: &rng).prefix(3))
                    _ = try w.add(paths: some.map { f.corpus + "/" + $0 })
                    for n in some { model[n] = disk[n]!.text != nil ? disk[n] : nil }
                case 2:
                    let gone = Int.random(in: 0..<3, using: &rng) == 0 ? ["sub"] : [names[Int.random(in: 0..<names.count, using: &rng)]]
                    _ = try w.remove(paths: gone.map { f.corpus + "/" + $0 })
                    for g in gone { for n in model.keys where n == g || n.hasPrefix(g + "/") { model[n] = nil } }
                default:
                    _ = try w.forceMerge()
                }
                w.close()
                try check(f, model, "seed \(seed) step \(step) op \(op)")
            }
        }
    }

    private func check(_ f: Fixture, _ model: [String: Content], _ at: String) throws {
        let snap: IndexSnapshot
        do { snap = try IndexSnapshot.open(f.index) } catch IndexError.missingIndex where model.isEmpty {
            return  // nothing committed yet (only `rm` or merges so far)
        }
        try snap.verifyAll()
        #expect(Set(try f.live().keys) == Set(model.keys.map { f.corpus + "/" + $0 }), "\(at)")
        for (name, c) in model {
            #expect(try f.original(snap, f.corpus + "/" + name) == c.bytes, "\(at): \(name)")
        }
        let expected = Set(model.filter { $0.value.text!.contains("宗教") }.keys.map { f.corpus + "/" + $0 })
        #expect(try f.docs(with: bigram("宗教")) == expected, "\(at)")
    }

    /// A term found only in documents of one matching unit ("hello") has positions and no bytes
    /// for them (each is 0, in 0 bits). They read back as [0], so merges keep them: a merge
    /// used to read them as none and stopped the process on the encoder's precondition.
    @Test func positionsOfOneUnitDocumentsReadBackAndMerge() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            try f.addEachAlone([("a.txt", "hello"), ("b.txt", "宗教中国化 hello world")])
            try f.beforeAndAfterMerge { (snap: IndexSnapshot, merged: Bool) throws in
                var found = [String: [UInt32]]()
                for seg in snap.segments {
                    guard let info = try seg.terms.lookup(Array("Thello".utf8)) else { continue }
                    #expect(info.hasPositions)
                    let c = try seg.postings(info)
                    try c.next()
                    while !c.isExhausted {
                        var p = [UInt32]()
                        try c.positions(into: &p)
                        #expect(p.count == Int(c.tf))
                        found[try seg.info(Int(c.doc)).path] = p
                        try c.next()
                    }
                }
                #expect(found == ["docs/a.txt": [0], "docs/b.txt": [5]], "merged: \(merged)")
            }
        }
    }

    /// A file changed again within the clock tick of its last change keeps its modification
    /// time; when the index read it within ``DocumentInfo/racyMarginNanos`` of that change, the
    /// next sync compares its content and finds the change. A file read long after its last
    /// change keeps its time in the index, and an unchanged file is reported unchanged.
    @Test func aChangeThatKeepsTheModificationTimeIsFound() throws {
        try withTempDir { dir in
            let f = Fixture(dir)
            f.write("fresh.txt", "宗教中国化")
            f.write("old.txt", "统一战线")
            let hourAgo = Sys.realTimeNanos() - 3_600_000_000_000
            try setModificationTime(f.corpus + "/old.txt", hourAgo)
            let fresh = try #require(try Sys.stat(f.corpus + "/fresh.txt")).mtimeNanos
            #expect(try IndexWriter(path: f.index).sync(roots: [f.corpus]).added == 2)
            var s = try IndexWriter(path: f.index).sync(roots: [f.corpus])
            #expect(!s.committed && s.unchanged == 2)
            let infos = try f.liveInfos()
            #expect(infos[f.corpus + "/fresh.txt"]?.mtimeNanos == DocumentInfo.unknownMtime)
            #expect(infos[f.corpus + "/old.txt"]?.mtimeNanos == hourAgo)
            // The same size, the same modification time, other text.
            f.write("fresh.txt", "民营经济化")
            try setModificationTime(f.corpus + "/fresh.txt", fresh)
            s = try IndexWriter(path: f.index).sync(roots: [f.corpus])
            #expect(s.replaced == 1 && s.unchanged == 1)
            #expect(try f.docs(with: bigram("民营")) == [f.corpus + "/fresh.txt"])
            #expect(try f.docs(with: bigram("宗教")).isEmpty)
        }
    }

    private func setModificationTime(_ path: String, _ nanos: Int64) throws {
        let t = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        let times = [t, t]
        #expect(utimensat(AT_FDCWD, path, times, 0) == 0)
    }
}
