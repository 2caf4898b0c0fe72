import Testing
import UFTestSupport
@testable import UFIndex

@Suite struct ByteCodingTests {
    @Test(arguments: [
        (UInt64(0), 1), (1, 1), (127, 1), (128, 2), (255, 2), (16_383, 2), (16_384, 3),
        (UInt64(UInt32.max), 5), (1 << 32, 5), (1 << 63, 10), (UInt64.max - 1, 10), (UInt64.max, 10),
    ])
    func varintRoundTrip(value: UInt64, encodedLength: Int) throws {
        var w = ByteWriter()
        w.varint(value)
        #expect(w.count == encodedLength)
        #expect(ByteWriter.varintSize(value) == encodedLength)
        try w.buffer.withUnsafeBytes { (buf) throws in
            var r = ByteReader(buf, file: "t")
            #expect(try r.varint() == value)
            #expect(r.isAtEnd)
        }
    }

    @Test func varintKnownEncodings() {
        var w = ByteWriter()
        w.varint(0); w.varint(127); w.varint(128); w.varint(300)
        #expect(w.buffer == [0x00, 0x7f, 0x80, 0x01, 0xac, 0x02])
    }

    @Test func fixedWidthRoundTrip() throws {
        var w = ByteWriter(capacity: 64)
        w.u8(0xab)
        w.u16LE(0x1234)
        w.u32LE(0xdead_beef)
        w.u64LE(0x0102_0304_0506_0708)
        w.i64LE(-42)
        w.lengthPrefixed([1, 2, 3] as [UInt8])
        w.string("中文检索")
        w.bytes([9, 9] as [UInt8])
        #expect(Array(w.buffer[1 ..< 3]) == [0x34, 0x12])
        #expect(Array(w.buffer[7 ..< 15]) == [8, 7, 6, 5, 4, 3, 2, 1])
        try w.buffer.withUnsafeBytes { (buf) throws in
            var r = ByteReader(buf, file: "t")
            #expect(try r.u8() == 0xab)
            #expect(try r.u16LE() == 0x1234)
            #expect(try r.u32LE() == 0xdead_beef)
            #expect(try r.u64LE() == 0x0102_0304_0506_0708)
            #expect(try r.i64LE() == -42)
            #expect(Array(try r.lengthPrefixed()) == [1, 2, 3])
            #expect(try r.string() == "中文检索")
            #expect(r.remaining == 2)
            #expect(Array(try r.bytes(2)) == [9, 9])
            #expect(r.isAtEnd)
        }
    }

    @Test func backPatching() {
        var w = ByteWriter()
        w.u32LE(0)
        w.u64LE(0)
        w.setU32LE(7, at: 0)
        w.setU64LE(0x0102, at: 4)
        #expect(w.buffer == [7, 0, 0, 0, 0x02, 0x01, 0, 0, 0, 0, 0, 0])
    }

    /// Inputs on which `varint()` must throw `corrupt` (truncated, overlong or overflowing).
    @Test(arguments: [
        [],
        [0x80],
        [0xff, 0xff],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x00],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    ] as [[UInt8]])
    func badVarintThrowsCorrupt(bytes: [UInt8]) {
        bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf, file: "bad.post")
            let error = corruptError { try r.varint() }
            #expect(error?.file == "bad.post")
            #expect(r.offset == 0, "a failed read must not move the cursor")
        }
    }

    @Test func varintRangeChecks() throws {
        var w = ByteWriter()
        w.varint(UInt64(UInt32.max) + 1)
        w.varint(UInt64.max)
        try w.buffer.withUnsafeBytes { (buf) throws in
            var r = ByteReader(buf, file: "t")
            #expect(corruptError { try r.varint32() } != nil)
            #expect(corruptError { try r.varintInt() } != nil)
        }
    }

    /// Reads past the end: each closure must throw `corrupt`, never trap.
    @Test(arguments: 0 ..< 12)
    func truncatedReadsThrowCorrupt(caseIndex: Int) {
        let data: [UInt8] = [0x05, 1, 2, 0xff, 0xfe]  // a length prefix of 5 with 4 bytes after it
        data.withUnsafeBytes { buf in
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: buf[0 ..< 3]), file: "f")
            let error = corruptError {
                switch caseIndex {
                case 0: return try r.u32LE()
                case 1: return try r.u64LE()
                case 2: return try r.bytes(4)
                case 3: return try r.bytes(-1)
                case 4: try r.skip(4); return 0
                case 5: try r.seek(to: 4); return 0
                case 6: try r.seek(to: -1); return 0
                case 7: try r.seek(to: UInt64.max); return 0
                case 8:
                    var full = ByteReader(buf, file: "f")
                    return try full.lengthPrefixed()
                case 9:
                    var empty = ByteReader(UnsafeRawBufferPointer(rebasing: buf[0 ..< 0]), file: "f")
                    return try empty.u8()
                case 10:
                    var two = ByteReader(UnsafeRawBufferPointer(rebasing: buf[3 ..< 5]), file: "f")
                    _ = try two.u8()
                    return try two.u16LE()
                default:
                    var strings = ByteReader(UnsafeRawBufferPointer(rebasing: buf[2 ..< 5]), file: "f")
                    return try strings.string()  // length 2, bytes ff fe: invalid UTF-8
                }
            }
            #expect(error?.file == "f")
        }
    }

    @Test(arguments: [
        (-1, 1), (0, 11), (5, 6), (11, 0), (10, 1), (Int.max, 1), (1, Int.max), (0, -1), (Int.min, 0),
    ])
    func outOfRangeSubSlicesThrow(offset: Int, length: Int) {
        let data = [UInt8](0 ..< 10)
        data.withUnsafeBytes { buf in
            let r = ByteReader(buf, file: "s")
            #expect(corruptError { try r.sub(offset: offset, length: length) } != nil)
        }
    }

    @Test(arguments: [(UInt64.max, 1), (1, UInt64.max), (UInt64(Int.max) + 1, 0), (9, 2)] as [(UInt64, UInt64)])
    func outOfRangeSubSlicesFromDiskValuesThrow(offset: UInt64, length: UInt64) {
        let data = [UInt8](0 ..< 10)
        data.withUnsafeBytes { buf in
            let r = ByteReader(buf, file: "s")
            #expect(corruptError { try r.sub(offset: offset, length: length) } != nil)
        }
    }

    @Test func subSliceIsRelativeAndBounded() throws {
        let data = [UInt8](0 ..< 10)
        try data.withUnsafeBytes { (buf) throws in
            let r = ByteReader(buf, file: "s")
            var s = try r.sub(offset: 4, length: 3)
            #expect(s.count == 3)
            #expect(try s.u8() == 4)
            try s.seek(to: 2)
            #expect(try s.u8() == 6)
            #expect(corruptError { try s.u8() } != nil)
            var nested = try s.sub(offset: 1, length: 2)
            #expect(try nested.u16LE() == 0x0605)
            #expect(try r.sub(offset: 10, length: 0).isAtEnd)
            #expect(corruptError { try s.sub(offset: 1, length: 3) } != nil)
        }
    }

    /// Random bytes decoded by random read sequences: every failure is `corrupt`, nothing traps.
    @Test func randomReadsNeverTrap() {
        var rng = SplitMix64(seed: 7)
        for _ in 0 ..< 500 {
            let size = Int.random(in: 0 ... 40, using: &rng)
            let data = (0 ..< size).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            data.withUnsafeBytes { buf in
                var r = ByteReader(buf, file: "fuzz")
                for _ in 0 ..< 20 {
                    do {
                        switch Int.random(in: 0 ..< 8, using: &rng) {
                        case 0: _ = try r.varint()
                        case 1: _ = try r.u32LE()
                        case 2: _ = try r.lengthPrefixed()
                        case 3: _ = try r.string()
                        case 4: _ = try r.sub(offset: r.varint(), length: r.varint())
                        case 5: _ = try r.bytes(Int(try r.u8()))
                        case 6: try r.seek(to: UInt64(try r.u8()))
                        default: _ = try r.varint32()
                        }
                    } catch let error as IndexError {
                        guard case .corrupt = error else { Issue.record("unexpected \(error)"); return }
                    } catch {
                        Issue.record("unexpected \(error)")
                    }
                }
            }
        }
    }

    /// Bit packing round-trips at every width and count: whole groups of eight (the unrolled
    /// per-width path), counts that are not (the word-at-a-time path), and input that ends
    /// exactly at the packed bytes (the byte-at-a-time path, no load past them).
    @Test func bitPackingRoundTripsAtEveryWidth() {
        var rng = SplitMix64(seed: 41)
        for bits in 0...32 {
            for n in [1, 5, 8, 64, 120, 127, 128] {
                let values = (0..<n).map { _ in bits == 0 ? 0 : UInt32(truncatingIfNeeded: rng.next()) & UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(bits)) - 1) }
                var w = RawBytes(capacity: 64)
                defer { w.deallocate() }
                values.withUnsafeBufferPointer { BitPacking.pack($0, bits: bits, into: &w) }
                #expect(w.count == BitPacking.byteCount(n, bits), "width \(bits), \(n) values")
                for slack in [7, 0] {
                    let src = UnsafeMutableRawPointer.allocate(byteCount: w.count + slack + 1, alignment: 8)
                    defer { src.deallocate() }
                    src.initializeMemory(as: UInt8.self, repeating: 0xA5, count: w.count + slack + 1)
                    src.copyMemory(from: w.bytes.baseAddress!, byteCount: w.count)
                    let out = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
                    defer { out.deallocate() }
                    BitPacking.unpack(src, count: n, bits: bits, readable: w.count + slack, into: out)
                    #expect(Array(UnsafeBufferPointer(start: out, count: n)) == values, "width \(bits), \(n) values, slack \(slack)")
                }
            }
        }
    }
}
