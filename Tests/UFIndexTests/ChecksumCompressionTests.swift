import Testing
import UFTestSupport
@testable import UFIndex

@Suite struct ChecksumTests {
    @Test func crc32KnownValues() {
        #expect(Checksum.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Checksum.crc32([]) == 0)
        #expect(Checksum.crc32([], seed: 0x1234) == 0x1234)
    }

    @Test func incrementalMatchesOneShot() {
        let data = (0 ..< 10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var crc = CRC32()
        crc.update(Array(data[..<1]))
        crc.update(Array(data[1 ..< 4097]))
        data[4097...].withUnsafeBytes { crc.update($0) }
        #expect(crc.value == Checksum.crc32(data))
        #expect(Checksum.crc32(Array(data[5000...]), seed: Checksum.crc32(Array(data[..<5000]))) == Checksum.crc32(data))
    }

    @Test func contentHashDetectsChanges() {
        var rng = SplitMix64(seed: 3)
        let data = (0 ..< 4096).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        let h = Checksum.contentHash(data)
        #expect(Checksum.contentHash(data) == h)
        for i in [0, 1, 2047, 2048, 4095] {
            var changed = data
            changed[i] &+= 1
            #expect(Checksum.contentHash(changed) != h, "byte \(i)")
        }
        #expect(Checksum.contentHash(data + [0]) != h)
        #expect(Checksum.contentHash(Array(data.dropLast())) != h)
        #expect(Checksum.contentHash([]) != Checksum.contentHash([0]))
        #expect(Checksum.contentHash([0]) != Checksum.contentHash([0, 0]))
    }
}

/// A named byte string, so parameterised test logs stay short.
struct Sample: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    var testDescription: String { "\(name) (\(bytes.count) bytes)" }
}

@Suite struct ZstdTests {
    static let inputs: [[UInt8]] = samples.map(\.bytes)
    static let samples: [Sample] = [
        Sample(name: "empty", bytes: []),
        Sample(name: "hello", bytes: Array("hello".utf8)),
        Sample(name: "repetitive Chinese", bytes: Array(String(repeating: "中华人民共和国国务院令。", count: 5000).utf8)),
        Sample(name: "random", bytes: {
            var rng = SplitMix64(seed: 11)
            return (0 ..< 100_000).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        }()),
    ]

    @Test(arguments: samples)
    func roundTrip(sample: Sample) throws {
        let input = sample.bytes
        for level: Int32 in [1, 3, 19] {
            let packed = try Zstd.compress(input, level: level)
            let unpacked = try Zstd.decompress(packed, expectedSize: input.count, file: "s.store")
            #expect(unpacked == input)
        }
    }

    @Test func compressesRepetitiveText() throws {
        let packed = try Zstd.compress(ZstdTests.inputs[2])
        #expect(packed.count * 20 < ZstdTests.inputs[2].count)
    }

    @Test(arguments: [-1, 0, 4, 6, 1000, Zstd.maxDecompressedSize + 1, Int.max])
    func wrongExpectedSizeIsCorrupt(expectedSize: Int) throws {
        let packed = try Zstd.compress(Array("hello".utf8))
        let e = corruptError { try Zstd.decompress(packed, expectedSize: expectedSize, file: "s.store") }
        #expect(e?.file == "s.store")
    }

    @Test func corruptInputThrows() throws {
        let input = ZstdTests.inputs[2]
        let packed = try Zstd.compress(input)
        let garbage: [[UInt8]] = [
            [],
            [1, 2, 3, 4, 5, 6, 7, 8],
            Array(packed.prefix(packed.count / 2)),
            Array(packed.dropLast()),
            { var p = packed; p[0] ^= 0xff; return p }(),
        ]
        for bytes in garbage {
            #expect(corruptError { try Zstd.decompress(bytes, expectedSize: input.count, file: "s.store") } != nil)
        }
    }

    @Test func randomMutationsNeverTrap() throws {
        let input = Array(String(repeating: "条例第十二条", count: 200).utf8)
        let packed = try Zstd.compress(input)
        var rng = SplitMix64(seed: 5)
        for _ in 0 ..< 300 {
            var p = packed
            p[Int.random(in: 0 ..< p.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng)
            do {
                let out = try Zstd.decompress(p, expectedSize: input.count, file: "s")
                #expect(out.count == input.count)
            } catch let error as IndexError {
                guard case .corrupt = error else { Issue.record("unexpected \(error)"); continue }
            }
        }
    }
}
