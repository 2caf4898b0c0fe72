import CICU
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The encoding a document's bytes were decoded from.
public enum SourceEncoding: UInt8, Sendable, CustomStringConvertible {
    /// UTF-8, possibly with a byte-order mark (which is skipped).
    case utf8 = 0
    /// GB18030 (a superset of GBK and GB2312), decoded through ICU's converter.
    case gb18030 = 1

    /// The encoding's usual name: `utf-8` or `gb18030`.
    public var description: String { self == .utf8 ? "utf-8" : "gb18030" }
}

/// Text decoded to UTF-16, remembering for every UTF-16 unit the byte offset in the
/// original bytes of the character it came from.
public struct DecodedText: Sendable {
    /// The decoded text.
    public var utf16: [UInt16]
    /// `offsets[i]` is the original byte offset of `utf16[i]`; `offsets[utf16.count]` is the
    /// original length, so the character at `i` spans `offsets[i] ..< offsets[next]`.
    public var offsets: [Int32]
    /// The encoding the bytes were in.
    public var encoding: SourceEncoding

    /// The largest input accepted, in bytes (offsets are 32-bit).
    public static let maxBytes = 512 << 20

    /// Decodes `bytes`: UTF-8 (a leading BOM is skipped), else GB18030, else the bytes are rejected
    /// as binary. Text containing NUL bytes or mostly control characters is rejected as binary too.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> DecodedText {
        if bytes.count > maxBytes { throw AnalysisError.tooLarge(bytes: bytes.count, limit: maxBytes) }
        if bytes.isEmpty { return DecodedText(utf16: [], offsets: [0], encoding: .utf8) }
        if memchr(bytes.baseAddress!, 0, bytes.count) != nil {
            throw AnalysisError.binary(reason: "contains NUL bytes")
        }
        if let text = decodeUTF8(bytes) {
            try checkControls(text)
            return text
        }
        let text = try decodeGB18030(bytes)
        try checkControls(text)
        return text
    }

    /// Strict UTF-8 decoding with offsets; nil when the bytes are not valid UTF-8.
    static func decodeUTF8(_ bytes: UnsafeRawBufferPointer) -> DecodedText? {
        let n = bytes.count
        let start = n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        // Uninitialised storage, of which only the units written are kept: zero-filling it first
        // cost as much as the decoding.
        var count: Int?
        var offs = [Int32]()
        let out = [UInt16](unsafeUninitializedCapacity: n - start) { u16, unitCount in
            offs = [Int32](unsafeUninitializedCapacity: n - start + 1) { off, offsetCount in
                count = decodeUTF8(bytes, from: start, into: u16, offsets: off)
                offsetCount = count.map { $0 + 1 } ?? 0
            }
            unitCount = count ?? 0
        }
        guard count != nil else { return nil }
        return DecodedText(utf16: out, offsets: offs, encoding: .utf8)
    }

    /// Decodes `bytes[from...]` into `u16` (room for one unit per byte) and `off` (one more): the
    /// number of units, or nil when the bytes are not valid UTF-8.
    private static func decodeUTF8(_ bytes: UnsafeRawBufferPointer, from start: Int, into u16: UnsafeMutableBufferPointer<UInt16>,
                                   offsets off: UnsafeMutableBufferPointer<Int32>) -> Int? {
        let n = bytes.count
        var i = start
        var o = 0
        let p = bytes.bindMemory(to: UInt8.self)
        while i < n {
            let b0 = p[i]
            if b0 < 0x80 {
                u16[o] = UInt16(b0); off[o] = Int32(i); o += 1; i += 1
                continue
            }
            var cp: UInt32
            var len: Int
            if b0 & 0xE0 == 0xC0 {
                guard b0 >= 0xC2, i + 1 < n else { return nil }
                let b1 = p[i + 1]
                guard b1 & 0xC0 == 0x80 else { return nil }
                cp = UInt32(b0 & 0x1F) << 6 | UInt32(b1 & 0x3F); len = 2
            } else if b0 & 0xF0 == 0xE0 {
                guard i + 2 < n else { return nil }
                let b1 = p[i + 1], b2 = p[i + 2]
                guard b1 & 0xC0 == 0x80, b2 & 0xC0 == 0x80 else { return nil }
                cp = UInt32(b0 & 0x0F) << 12 | UInt32(b1 & 0x3F) << 6 | UInt32(b2 & 0x3F)
                guard cp >= 0x800, !(0xD800...0xDFFF).contains(cp) else { return nil }
                len = 3
            } else if b0 & 0xF8 == 0xF0 {
                guard i + 3 < n else { return nil }
                let b1 = p[i + 1], b2 = p[i + 2], b3 = p[i + 3]
                guard b1 & 0xC0 == 0x80, b2 & 0xC0 == 0x80, b3 & 0xC0 == 0x80 else { return nil }
                cp = UInt32(b0 & 0x07) << 18 | UInt32(b1 & 0x3F) << 12 | UInt32(b2 & 0x3F) << 6 | UInt32(b3 & 0x3F)
                guard cp >= 0x10000, cp <= 0x10FFFF else { return nil }
                len = 4
            } else {
                return nil
            }
            if cp < 0x10000 {
                u16[o] = UInt16(cp); off[o] = Int32(i); o += 1
            } else {
                let v = cp - 0x10000
                u16[o] = UInt16(0xD800 + (v >> 10)); off[o] = Int32(i)
                u16[o + 1] = UInt16(0xDC00 + (v & 0x3FF)); off[o + 1] = Int32(i)
                o += 2
            }
            i += len
        }
        off[o] = Int32(n)
        return o
    }

    static func decodeGB18030(_ bytes: UnsafeRawBufferPointer) throws -> DecodedText {
        let cap = bytes.count + 1
        var out = [UInt16](repeating: 0, count: cap)
        var offs = [Int32](repeating: 0, count: cap + 1)
        let n = out.withUnsafeMutableBufferPointer { u16 in
            offs.withUnsafeMutableBufferPointer { off in
                cicu_gb18030_to_utf16(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int64(bytes.count),
                                      u16.baseAddress!, off.baseAddress!, Int64(cap))
            }
        }
        guard n >= 0 else { throw AnalysisError.binary(reason: "neither UTF-8 nor GB18030 text") }
        let count = Int(n)
        out.removeLast(out.count - count)
        offs.removeLast(offs.count - count - 1)
        offs[count] = Int32(bytes.count)
        return DecodedText(utf16: out, offsets: offs, encoding: .gb18030)
    }

    /// Rejects text where control characters other than tab, newline, CR and form feed
    /// make up more than 1% of the units: such "text" is binary data.
    static func checkControls(_ t: DecodedText) throws {
        var controls = 0
        for u in t.utf16 where u < 0x20 && u != 0x09 && u != 0x0A && u != 0x0D && u != 0x0C {
            controls += 1
        }
        if controls > 0 && controls * 100 > t.utf16.count {
            throw AnalysisError.binary(reason: "\(controls) control characters in \(t.utf16.count)")
        }
    }
}
