import Testing
import UFTestSupport
@testable import UFIndex

@Suite struct ManifestTests {
    static let sample = Manifest(
        generation: 7,
        nextSegmentId: 12,
        segments: [
            SegmentEntry(id: 3, docCount: 1000, deletedCount: 10, delGeneration: 2, liveTokenCount: 1_234_567,
                         fileSizes: [FileKind.terms.rawValue: 4096, FileKind.postings.rawValue: 1 << 40, 99: 1]),
            SegmentEntry(id: 11, docCount: 5),
        ],
        userData: ["analyzer": "icu-word+cjk-bigram v1", "说明": "中文", "": "empty key"])

    @Test func roundTrip() throws {
        let bytes = ManifestTests.sample.serialized()
        let decoded = try bytes.withUnsafeBytes { try Manifest.decode($0, file: "m") }
        #expect(decoded == ManifestTests.sample)
        #expect(decoded.serialized() == bytes, "serialisation is deterministic")
        #expect(decoded.totalDocCount == 1005)
        #expect(decoded.liveDocCount == 995)
        #expect(decoded.docBase(ofSegmentAt: 1) == 1000)
    }

    @Test func emptyManifestRoundTrip() throws {
        let m = Manifest()
        let decoded = try m.serialized().withUnsafeBytes { try Manifest.decode($0, file: "m") }
        #expect(decoded == m)
    }

    @Test func commitAndLatestPicksHighestGeneration() throws {
        try withTempDir { dir in
            #expect(try Manifest.latest(in: dir) == nil)
            for gen: UInt64 in [1, 3, 2] {
                var m = ManifestTests.sample
                m.generation = gen
                let path = try Manifest.commit(m, to: dir)
                #expect(path == dir + "/gen-" + IndexDirectory.hex16(gen) + ".manifest")
            }
            // Leftovers of an unfinished write and unrelated files are ignored.
            writeFile(dir + "/gen-00000000000000ff.manifest.tmp-4242", [1, 2, 3])
            writeFile(dir + "/gen-zz.manifest", [1, 2, 3])
            writeFile(dir + "/LOCK", [])
            let latest = try #require(try Manifest.latest(in: dir))
            #expect(latest.manifest.generation == 3)
            #expect(latest.path == dir + "/gen-0000000000000003.manifest")
            #expect(listing(dir).filter { $0.contains(".tmp-") } == ["gen-00000000000000ff.manifest.tmp-4242"])
        }
    }

    @Test func latestOfMissingDirectoryIsNil() throws {
        #expect(try Manifest.latest(in: "/nonexistent/ufsearch-test-dir") == nil)
    }

    @Test func corruptLatestManifestIsReportedNotSkipped() throws {
        try withTempDir { dir in
            var m = ManifestTests.sample
            m.generation = 1
            try Manifest.commit(m, to: dir)
            m.generation = 2
            let path = try Manifest.commit(m, to: dir)
            var bytes = try #require(readFile(path))
            bytes[20] ^= 0x40
            writeFile(path, bytes)
            let e = corruptError { try Manifest.latest(in: dir) as Any }
            #expect(e?.file == path)
            #expect(e?.detail == "checksum mismatch")
        }
    }

    @Test func generationMustMatchFileName() throws {
        try withTempDir { dir in
            var m = ManifestTests.sample
            m.generation = 4
            let path = try Manifest.commit(m, to: dir)
            let renamed = IndexDirectory(path: dir).manifestPath(generation: 5)
            try Sys.rename(from: path, to: renamed)
            #expect(corruptError { try Manifest.latest(in: dir) as Any }?.file == renamed)
        }
    }

    @Test func commitRefusesExistingGenerationAndInvalidManifests() throws {
        try withTempDir { dir in
            try Manifest.commit(ManifestTests.sample, to: dir)
            guard case .badInput = indexError({ try Manifest.commit(ManifestTests.sample, to: dir) }) else {
                Issue.record("expected badInput"); return
            }
            var dup = ManifestTests.sample
            dup.generation = 8
            dup.segments.append(dup.segments[0])
            guard case .badInput = indexError({ try Manifest.commit(dup, to: dir) }) else {
                Issue.record("expected badInput"); return
            }
            var tooManyDeletes = ManifestTests.sample
            tooManyDeletes.generation = 9
            tooManyDeletes.segments[1].deletedCount = 6
            guard case .badInput = indexError({ try Manifest.commit(tooManyDeletes, to: dir) }) else {
                Issue.record("expected badInput"); return
            }
            var idTooHigh = ManifestTests.sample
            idTooHigh.generation = 10
            idTooHigh.nextSegmentId = 11
            guard case .badInput = indexError({ try Manifest.commit(idTooHigh, to: dir) }) else {
                Issue.record("expected badInput"); return
            }
        }
    }

    @Test func loadMissingFileIsIOError() {
        guard case let .io(path, _, op) = indexError({ try Manifest.load(path: "/nonexistent/gen-1.manifest") }) else {
            Issue.record("expected io"); return
        }
        #expect(path == "/nonexistent/gen-1.manifest")
        #expect(op == "open")
    }

    /// Every truncation and every bit flip of a manifest file is rejected.
    @Test func truncationsAndFlipsAreCorrupt() {
        let bytes = ManifestTests.sample.serialized()
        for n in 0 ..< bytes.count {
            let cut = Array(bytes.prefix(n))
            #expect(corruptError { try cut.withUnsafeBytes { try Manifest.decode($0, file: "m") } } != nil)
        }
        for i in 0 ..< bytes.count {
            var flipped = bytes
            flipped[i] ^= 0x10
            let e = indexError { try flipped.withUnsafeBytes { try Manifest.decode($0, file: "m") } }
            #expect(e != nil, "flip at \(i)")
        }
    }

    /// Random body mutations with a recomputed (valid) footer: decoding throws `corrupt` or
    /// succeeds, but never traps, even with absurd counts and lengths.
    @Test func mutatedBodiesWithValidFooterNeverTrap() {
        let clean = ManifestTests.sample.serialized()
        let body = Array(clean.dropLast(FileFooter.size))
        var rng = SplitMix64(seed: 99)
        for round in 0 ..< 2000 {
            var b = body
            for _ in 0 ..< (1 + round % 4) {
                b[Int.random(in: 0 ..< b.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng)
            }
            if round % 5 == 0 { b = Array(b.prefix(Int.random(in: 0 ... b.count, using: &rng))) }
            let file = footedFile(b, kind: .manifest)
            do {
                _ = try file.withUnsafeBytes { try Manifest.decode($0, file: "m") }
            } catch let error as IndexError {
                guard case .corrupt = error else { Issue.record("unexpected \(error)"); return }
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
