import Testing
@testable import UFIndex

@Suite struct IndexErrorTests {
    @Test(arguments: [
        (IndexError.io(path: "index/seg-1.post", errno: 2, op: "open"), "cannot open index/seg-1.post: No such file or directory"),
        (.corrupt(file: "index/seg-3.post", detail: "checksum mismatch"), "index file index/seg-3.post is corrupt: checksum mismatch"),
        (.missingIndex(path: "index"), "no index at index/ (run `ufsearch index` first)"),
        (.missingIndex(path: "index/"), "no index at index/ (run `ufsearch index` first)"),
        (.locked(path: "index/LOCK"), "another ufsearch writer holds index/LOCK"),
        (.badInput(path: "a.txt", reason: "not valid UTF-8\nor GB18030"), "cannot use a.txt: not valid UTF-8 or GB18030"),
        (.unsupportedVersion(file: "index/seg-1.terms", found: 2, expected: 1),
         "index file index/seg-1.terms has format version 2, this build reads version 1 (rebuild the index with `ufsearch index --rebuild`)"),
    ])
    func descriptions(error: IndexError, text: String) {
        #expect(error.description == text)
        #expect(!error.description.contains("\n"))
    }
}

@Suite struct FileSystemTests {
    @Test func atomicWriteLeavesNoTemporaryFiles() throws {
        try withTempDir { dir in
            let path = dir + "/file.bin"
            try AtomicFile.write([1, 2, 3], to: path)
            try AtomicFile.write([4, 5], to: path)
            #expect(readFile(path) == [4, 5])
            #expect(listing(dir) == ["file.bin"])
        }
    }

    @Test func atomicWriteIntoMissingDirectoryFailsCleanly() {
        guard case let .io(_, _, op) = indexError({ try AtomicFile.write([1], to: "/nonexistent/dir/file") }) else {
            Issue.record("expected io"); return
        }
        #expect(op == "open")
    }

    @Test func writeDurableCreatesButNeverReplaces() throws {
        try withTempDir { dir in
            let path = dir + "/seg-0000000000000001.post"
            try AtomicFile.writeDurable([7, 7], to: path)
            #expect(readFile(path) == [7, 7])
            guard case let .io(p, code, _) = indexError({ try AtomicFile.writeDurable([8], to: path) }) else {
                Issue.record("expected io"); return
            }
            #expect(p == path)
            #expect(code == 17)  // EEXIST
            #expect(readFile(path) == [7, 7])
        }
    }

    @Test(arguments: [
        ("a/b/c", "a/b"), ("file", "."), ("/file", "/"), ("/a/b/", "/a"), ("a/", "."), ("/", "/"),
    ])
    func parentDirectory(path: String, parent: String) {
        #expect(AtomicFile.parentDirectory(of: path) == parent)
    }

    @Test func secondWriterIsLockedOut() throws {
        try withTempDir { dir in
            let first = try WriterLock.acquire(indexDirectory: dir, wait: false, timeout: nil)
            #expect(first.path == dir + "/LOCK")
            #expect(indexError { try WriterLock.acquire(indexDirectory: dir, wait: false, timeout: nil) } == .locked(path: dir + "/LOCK"))

            let clock = ContinuousClock()
            let start = clock.now
            let e = indexError { try WriterLock.acquire(indexDirectory: dir, wait: true, timeout: .milliseconds(120)) }
            #expect(e == .locked(path: dir + "/LOCK"))
            #expect(clock.now - start >= .milliseconds(100))

            first.release()
            #expect(!first.isHeld)
            first.release()  // idempotent
            do {
                let second = try WriterLock.acquire(indexDirectory: dir, wait: true, timeout: .seconds(2))
                #expect(second.isHeld)
            }
            // `second` was released by deinit.
            let third = try WriterLock.acquire(indexDirectory: dir)
            third.release()
        }
    }

    @Test func lockInMissingDirectoryIsIOError() {
        guard case .io = indexError({ try WriterLock.acquire(indexDirectory: "/nonexistent/idx") }) else {
            Issue.record("expected io"); return
        }
    }

    @Test func mappedFiles() throws {
        try withTempDir { dir in
            let empty = dir + "/empty"
            writeFile(empty, [])
            let m = try MappedFile(path: empty)
            #expect(m.count == 0)
            #expect(m.bytes.isEmpty)
            #expect(m.path == empty)
            #expect(corruptError { try FileFooter.validate(m, kind: .docs, verifyChecksum: false) }?.file == empty)

            let full = dir + "/seg-0000000000000001.docs"
            writeFile(full, footedFile([1, 2, 3], kind: .docs))
            let f = try MappedFile(path: full)
            #expect(f.count == 27)
            #expect(Array(try FileFooter.validate(f, kind: .docs, verifyChecksum: true)) == [1, 2, 3])
            var r = f.reader()
            #expect(try r.u8() == 1)

            guard case let .io(path, code, op) = indexError({ try MappedFile(path: dir + "/missing") }) else {
                Issue.record("expected io"); return
            }
            #expect(path == dir + "/missing")
            #expect(code == 2)
            #expect(op == "open")
        }
    }

    @Test func syscallWrappers() throws {
        try withTempDir { dir in
            let nested = dir + "/a/b/c"
            try Sys.mkdirp(nested)
            try Sys.mkdirp(nested)
            #expect(try Sys.stat(nested)?.isDirectory == true)
            writeFile(dir + "/a/file", [1, 2, 3, 4])
            #expect(indexError { try Sys.mkdirp(dir + "/a/file/x") } != nil)
            #expect(try Sys.listDirectory(dir + "/a") == ["b", "file"])
            let info = try #require(try Sys.stat(dir + "/a/file"))
            #expect(info.size == 4 && info.isRegular && !info.isDirectory && info.mtimeNanos > 0)
            #expect(try Sys.stat(dir + "/missing") == nil)
            #expect(try Sys.readAll(dir + "/a/file") == [1, 2, 3, 4])

            let fd = try Sys.openWrite(dir + "/w", truncate: true)
            try Sys.writeAll(fd, [1, 2, 3], path: "w")
            try ([9] as [UInt8]).withUnsafeBytes { try Sys.pwrite(fd, $0, offset: 1, path: "w") }
            try Sys.fsync(fd, path: "w")
            #expect(try Sys.fileSize(fd, path: "w") == 3)
            try Sys.close(fd, path: "w")
            let rfd = try Sys.openRead(dir + "/w")
            var buf = [UInt8](repeating: 0, count: 8)
            let n = try buf.withUnsafeMutableBytes { try Sys.pread(rfd, into: $0, offset: 1, path: "w") }
            #expect(n == 2 && Array(buf.prefix(2)) == [9, 3])
            try Sys.close(rfd, path: "w")

            try Sys.rename(from: dir + "/w", to: dir + "/v")
            try Sys.unlink(dir + "/v")
            try Sys.unlink(dir + "/v", ignoreMissing: true)
            #expect(indexError { try Sys.unlink(dir + "/v") } != nil)
            try Sys.fsyncDirectory(dir)
            #expect(indexError { try Sys.listDirectory(dir + "/missing") } != nil)
        }
    }
}

@Suite struct IndexDirectoryTests {
    @Test(arguments: [
        (String?("x"), String?("y"), "x"), (nil, "y", "y"), (nil, nil, "index"), ("", "y", "y"), (nil, "", "index"),
    ])
    func resolution(explicit: String?, env: String?, expected: String) {
        #expect(IndexDirectory.resolve(explicit: explicit, environmentValue: env) == expected)
    }

    @Test func paths() {
        let d = IndexDirectory(path: "index/")
        #expect(d.segmentFilePath(id: 0x2a, kind: .postings) == "index/seg-000000000000002a.post")
        #expect(d.tombstonePath(id: 1, delGen: 3) == "index/seg-0000000000000001-0000000000000003.del")
        #expect(d.manifestPath(generation: UInt64.max) == "index/gen-ffffffffffffffff.manifest")
        #expect(IndexDirectory(path: "idx").lockPath == "idx/LOCK")
    }

    @Test(arguments: [
        ("gen-0000000000000010.manifest", IndexDirectory.Entry.manifest(generation: 16)),
        ("seg-00000000000000ff.terms", .segmentFile(id: 255, kind: .terms)),
        ("seg-0000000000000001.pos", .segmentFile(id: 1, kind: .positions)),
        ("seg-0000000000000001-0000000000000002.del", .tombstone(id: 1, delGeneration: 2)),
        ("gen-0000000000000010.manifest.tmp-123", .temporary),
        ("seg-0000000000000001.post.tmp-9", .temporary),
        ("gen-0000000000000010.manifest.tmp-", .other),
        ("gen-10.manifest", .other),
        ("gen-000000000000001G.manifest", .other),
        ("gen-0000000000000010.terms", .other),
        ("seg-0000000000000001.manifest", .other),
        ("seg-0000000000000001.txt", .other),
        ("seg-0000000000000001-0000000000000002.post", .other),
        ("seg-0000000000000001_0000000000000002.del", .other),
        ("LOCK", .other),
        (".gitkeep", .other),
    ])
    func classify(name: String, entry: IndexDirectory.Entry) {
        #expect(IndexDirectory.classify(name) == entry)
    }

    @Test func createAndExists() throws {
        try withTempDir { dir in
            let d = IndexDirectory(path: dir + "/x/index")
            #expect(!d.exists)
            try d.create()
            #expect(d.exists)
        }
    }

    @Test func garbageCollectKeepsOnlyWhatTheManifestNeeds() throws {
        try withTempDir { dir in
            let d = IndexDirectory(path: dir)
            for gen: UInt64 in [1, 2, 3, 4, 5] {
                try Manifest.commit(Manifest(generation: gen, nextSegmentId: 10), to: dir)
            }
            let files = [
                d.segmentFilePath(id: 1, kind: .terms), d.segmentFilePath(id: 1, kind: .postings),
                d.segmentFilePath(id: 2, kind: .terms), d.segmentFilePath(id: 3, kind: .postings),
                d.tombstonePath(id: 1, delGen: 1), d.tombstonePath(id: 1, delGen: 2), d.tombstonePath(id: 3, delGen: 1),
                d.manifestPath(generation: 6) + ".tmp-999", d.join("LOCK"), d.join("notes.txt"),
            ]
            for f in files { writeFile(f, [0]) }
            let keep = Manifest(generation: 4, nextSegmentId: 10, segments: [
                SegmentEntry(id: 1, docCount: 3, deletedCount: 1, delGeneration: 2),
                SegmentEntry(id: 2, docCount: 3),
            ])
            let removed = try d.garbageCollect(keep: keep)
            #expect(removed == [
                "gen-0000000000000001.manifest", "gen-0000000000000002.manifest",
                "gen-0000000000000006.manifest.tmp-999",
                "seg-0000000000000001-0000000000000001.del",
                "seg-0000000000000003-0000000000000001.del", "seg-0000000000000003.post",
            ])
            #expect(listing(dir) == [
                "LOCK",
                "gen-0000000000000003.manifest", "gen-0000000000000004.manifest", "gen-0000000000000005.manifest",
                "notes.txt",
                "seg-0000000000000001-0000000000000002.del", "seg-0000000000000001.post",
                "seg-0000000000000001.terms", "seg-0000000000000002.terms",
            ])
            #expect(try d.garbageCollect(keep: keep).isEmpty)
        }
    }
}
