import Testing
@testable import UFIndex

/// One footer mutation and what `validate` must do with it.
struct FooterCase: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable, Equatable { case body, corrupt, unsupportedVersion(found: UInt16) }
    let name: String
    let mutate: @Sendable ([UInt8]) -> [UInt8]
    let kind: FileKind
    let verifyChecksum: Bool
    let outcome: Outcome
    var testDescription: String { name }

    init(_ name: String, kind: FileKind = .postings, verify: Bool = true, _ outcome: Outcome,
         _ mutate: @escaping @Sendable ([UInt8]) -> [UInt8]) {
        self.name = name
        self.mutate = mutate
        self.kind = kind
        self.verifyChecksum = verify
        self.outcome = outcome
    }
}

/// `body` + footer(kind: .postings, version).
func footedFile(_ body: [UInt8], kind: FileKind = .postings, version: UInt16? = nil) -> [UInt8] {
    var w = ByteWriter()
    w.bytes(body)
    FileFooter.append(to: &w, kind: kind, version: version ?? FileFooter.currentVersion(kind))
    return w.buffer
}

func flipping(_ index: Int) -> @Sendable ([UInt8]) -> [UInt8] {
    { bytes in
        var b = bytes
        let i = index >= 0 ? index : b.count + index
        b[i] ^= 0x01
        return b
    }
}

@Suite struct FileFooterTests {
    static let body: [UInt8] = Array("posting bytes 倒排".utf8)

    static let cases: [FooterCase] = [
        FooterCase("intact, verified", .body) { $0 },
        FooterCase("intact, unverified", verify: false, .body) { $0 },
        FooterCase("flipped body byte, verified", .corrupt, flipping(3)),
        FooterCase("flipped body byte, unverified", verify: false, .body, flipping(3)),
        FooterCase("flipped stored crc, verified", .corrupt, flipping(-16)),
        FooterCase("bad magic", verify: false, .corrupt, flipping(-1)),
        FooterCase("wrong kind", kind: .terms, verify: false, .corrupt) { $0 },
        FooterCase("unknown kind", verify: false, .corrupt) { b in var b = b; b[b.count - 12] = 99; return b },
        FooterCase("old version", verify: false, .unsupportedVersion(found: 1)) { _ in footedFile(FileFooterTests.body, version: FileFooter.currentVersion(.postings) - 1) },
        FooterCase("newer version", verify: false, .unsupportedVersion(found: 3)) { _ in footedFile(FileFooterTests.body, version: FileFooter.currentVersion(.postings) + 1) },
        FooterCase("reserved not zero", verify: false, .corrupt, flipping(-8)),
        FooterCase("body length too big", verify: false, .corrupt, flipping(-24)),
        FooterCase("first byte cut off", verify: false, .corrupt) { Array($0.dropFirst()) },
        FooterCase("last byte cut off", verify: false, .corrupt) { Array($0.dropLast()) },
        FooterCase("only 23 bytes", verify: false, .corrupt) { Array($0.suffix(23)) },
        FooterCase("empty file", verify: false, .corrupt) { _ in [] },
        FooterCase("extra byte appended", verify: false, .corrupt) { $0 + [0] },
    ]

    @Test(arguments: cases)
    func validate(_ c: FooterCase) {
        let file = c.mutate(footedFile(FileFooterTests.body))
        file.withUnsafeBytes { buf in
            do {
                let body = try FileFooter.validate(buf, file: "idx/seg-1.post", kind: c.kind, verifyChecksum: c.verifyChecksum)
                #expect(c.outcome == .body, "expected an error")
                if c.name.contains("intact") { #expect(Array(body) == FileFooterTests.body) }
                #expect(body.count == file.count - FileFooter.size)
            } catch let IndexError.corrupt(name, _) {
                #expect(c.outcome == .corrupt)
                #expect(name == "idx/seg-1.post")
            } catch let IndexError.unsupportedVersion(name, found, expected) {
                #expect(c.outcome == .unsupportedVersion(found: found))
                #expect(name == "idx/seg-1.post")
                #expect(expected == FileFooter.currentVersion(.postings))
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func layoutIs24BytesEndingInMagic() throws {
        let file = footedFile([1, 2, 3], kind: .store)
        #expect(file.count == 3 + 24)
        #expect(Array(file.suffix(4)) == Array("UFS1".utf8))
        try file.withUnsafeBytes { (buf) throws in
            let f = try FileFooter.read(buf, file: "x")
            #expect(f.bodyLength == 3)
            #expect(f.checksum == Checksum.crc32([1, 2, 3]))
            #expect(f.kindRawValue == FileKind.store.rawValue)
            #expect(f.version == FileFooter.currentVersion(.store))
            #expect(f.reserved == 0)
        }
    }

    @Test func checksumMismatchMessage() {
        var file = footedFile(FileFooterTests.body)
        file[0] ^= 0xff
        let e = indexError { try file.withUnsafeBytes { try FileFooter.validate($0, file: "index/seg-3.post", kind: .postings, verifyChecksum: true) } }
        #expect(e?.description == "index file index/seg-3.post is corrupt: checksum mismatch")
    }

    @Test func emptyBodyIsValid() throws {
        let file = footedFile([], kind: .tombstones)
        try file.withUnsafeBytes { (buf) throws in
            #expect(try FileFooter.validate(buf, file: "d", kind: .tombstones, verifyChecksum: true).isEmpty)
        }
    }

    @Test(arguments: FileKind.allCases)
    func fileKindExtensions(kind: FileKind) {
        #expect(FileKind(fileExtension: kind.fileExtension) == kind)
    }

    @Test func fileKindValues() {
        #expect(FileKind.allCases.map(\.rawValue) == [1, 2, 3, 4, 5, 6, 7])
        #expect(FileKind.allCases.map(\.fileExtension) == ["manifest", "terms", "post", "pos", "docs", "store", "del"])
    }
}
