import CICU
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Normalised text: NFKC with case folding, Traditional→Simplified, and whitespace between
/// two Han characters removed. Every normalised UTF-16 unit remembers the original byte
/// range of the source characters it came from, so highlights land on the real characters.
public struct NormalizedText: Sendable {
    /// The normalised text, UTF-16.
    public var text: [UInt16]
    /// `origStart[i] ..< origEnd[i]` is the original byte range that produced `text[i]`.
    public var origStart: [Int32]
    /// See `origStart`.
    public var origEnd: [Int32]

    /// An empty text.
    public init() { text = []; origStart = []; origEnd = [] }

    /// The normalised text as a Swift string.
    public var string: String { UTF16Scalar.string(text) }
}

/// Normalised text held in a normaliser's buffers (see ``Normalizer/withNormalized(_:_:)``): the
/// same fields as ``NormalizedText``, valid only inside the call that provides it.
public struct NormalizedView {
    /// The normalised text, UTF-16.
    public let text: UnsafeBufferPointer<UInt16>
    /// `origStart[i] ..< origEnd[i]` is the original byte range that produced `text[i]`.
    public let origStart: UnsafeBufferPointer<Int32>
    /// See `origStart`.
    public let origEnd: UnsafeBufferPointer<Int32>
}

/// NFKC_Casefold + Traditional→Simplified through ICU, applied chunk by chunk (a chunk is a
/// character plus the combining characters that follow it), with a per-instance cache so
/// each distinct character costs one ICU call. Not thread-safe: use one per thread.
public final class Normalizer {
    private let icu: OpaquePointer
    /// Per BMP unit: 0 unknown; `single | u` maps to one unit u; `multi | i` maps to `multi[i]`;
    /// `empty` maps to nothing. `joins` marks units that are not a normalisation boundary.
    /// 0x10000 entries from `calloc`: fresh heap memory is zero already, so only the pages
    /// of units actually met are ever touched (a zero-filled array wrote all 64 pages of it,
    /// 64 page faults in every query process).
    private let table: UnsafeMutablePointer<UInt32>
    /// ``changedHanBits``: a unit of the basic Han block whose bit is clear is its own entry. Kept
    /// here so that `fill`'s loop reads a stored pointer, not a lazily initialised global.
    private let changedHan: UnsafePointer<UInt64>
    private var multi: [[UInt16]] = []
    private var astral: [UInt32: [UInt16]] = [:]
    private var scratch: [UInt16] = []
    /// Output being built by `normalize` (text units and their original byte ranges), kept from
    /// call to call; the result is copied out into arrays, or lent out by `withNormalized`.
    private var outText: UnsafeMutablePointer<UInt16>
    private var outStart: UnsafeMutablePointer<Int32>
    private var outEnd: UnsafeMutablePointer<Int32>
    private var outCapacity = 1 << 12

    private static let single: UInt32 = 1 << 20
    private static let multiFlag: UInt32 = 1 << 21
    private static let empty: UInt32 = 1 << 22
    private static let joins: UInt32 = 1 << 23
    private static let known: UInt32 = 1 << 24
    private static let payload: UInt32 = (1 << 20) - 1

    /// Opens ICU's NFKC_Casefold normaliser and Traditional-Simplified transliterator.
    public init() throws {
        var err: Int32 = 0
        guard let p = cicu_normalizer_open(&err) else { throw AnalysisError.icu(operation: "open normaliser", code: err) }
        icu = p
        guard let t = calloc(0x10000, MemoryLayout<UInt32>.stride) else {
            cicu_normalizer_close(p)
            throw AnalysisError.icu(operation: "allocate the normaliser's table", code: 7)  // U_MEMORY_ALLOCATION_ERROR
        }
        table = t.bindMemory(to: UInt32.self, capacity: 0x10000)
        changedHan = UnsafePointer(Self.changedHanBits)
        outText = .allocate(capacity: outCapacity)
        outStart = .allocate(capacity: outCapacity)
        outEnd = .allocate(capacity: outCapacity)
    }

    deinit {
        cicu_normalizer_close(icu)
        free(table)
        outText.deallocate()
        outStart.deallocate()
        outEnd.deallocate()
    }

    /// Grows the output buffers to hold at least `needed` units, keeping the first `count`.
    private func growOutput(_ needed: Int, keeping count: Int) {
        var cap = outCapacity
        while cap < needed { cap *= 2 }
        let t = UnsafeMutablePointer<UInt16>.allocate(capacity: cap)
        let a = UnsafeMutablePointer<Int32>.allocate(capacity: cap)
        let b = UnsafeMutablePointer<Int32>.allocate(capacity: cap)
        t.initialize(from: outText, count: count)
        a.initialize(from: outStart, count: count)
        b.initialize(from: outEnd, count: count)
        outText.deallocate(); outStart.deallocate(); outEnd.deallocate()
        outText = t; outStart = a; outEnd = b
        outCapacity = cap
    }

    /// Normalises a string (a query, say); original offsets refer to its UTF-8 bytes.
    public func normalize(_ s: String) -> NormalizedText {
        var bytes = Array(s.utf8)
        let decoded = bytes.withUnsafeMutableBytes { DecodedText.decodeUTF8(UnsafeRawBufferPointer($0)) }
        return normalize(decoded ?? DecodedText(utf16: [], offsets: [0], encoding: .utf8))
    }

    /// Normalises decoded text, keeping original byte ranges.
    public func normalize(_ d: DecodedText) -> NormalizedText {
        let count = fill(d)
        var out = NormalizedText()
        out.text = Array(UnsafeBufferPointer(start: outText, count: count))
        out.origStart = Array(UnsafeBufferPointer(start: outStart, count: count))
        out.origEnd = Array(UnsafeBufferPointer(start: outEnd, count: count))
        return out
    }

    /// Runs `body` with the normalised form of `d` in the normaliser's own buffers, without
    /// copying it out: `body` must neither keep the view nor use this normaliser.
    public func withNormalized<T>(_ d: DecodedText, _ body: (NormalizedView) throws -> T) rethrows -> T {
        let count = fill(d)
        return try body(NormalizedView(text: UnsafeBufferPointer(start: outText, count: count),
                                       origStart: UnsafeBufferPointer(start: outStart, count: count),
                                       origEnd: UnsafeBufferPointer(start: outEnd, count: count)))
    }

    /// Normalises `d` into the output buffers; returns the number of units.
    private func fill(_ d: DecodedText) -> Int {
        let n = d.utf16.count
        if outCapacity < n + 2 { growOutput(n + 2, keeping: 0) }
        var text = outText, origStart = outStart, origEnd = outEnd
        var capacity = outCapacity
        var count = 0
        var lastNonSpaceHan = false
        var spaceRunStart = -1  // index in the output where a pending whitespace run began

        /// Appends one normalised scalar's units, applying the Han–whitespace–Han rule.
        @inline(__always)
        func emit(_ c: UInt32, _ units: UInt16, _ low: UInt16, _ unitCount: Int, _ start: Int32, _ end: Int32) {
            if CharClass.isSpace(c) {
                if spaceRunStart < 0 { spaceRunStart = count }
            } else {
                let han = CharClass.isHan(c)
                if spaceRunStart >= 0 {
                    if lastNonSpaceHan && han { count = spaceRunStart }
                    spaceRunStart = -1
                }
                lastNonSpaceHan = han
            }
            if count + 2 > capacity {
                growOutput(count + 2, keeping: count)
                text = outText; origStart = outStart; origEnd = outEnd
                capacity = outCapacity
            }
            text[count] = units; origStart[count] = start; origEnd[count] = end
            count += 1
            if unitCount == 2 { text[count] = low; origStart[count] = start; origEnd[count] = end; count += 1 }
        }

        d.utf16.withUnsafeBufferPointer { src in
            d.offsets.withUnsafeBufferPointer { offs in
                var i = 0
                while i < n {
                    let u = src[i]
                    // Fast path: one BMP unit that is a chunk of its own (the next unit starts a chunk).
                    let next: UInt16 = i + 1 < n ? src[i + 1] : 0
                    if u & 0xF800 != 0xD800
                        && (i + 1 == n || next < 0x300 || isPlainHan(next)
                            || (next & 0xF800 != 0xD800 && entry(next) & Self.joins == 0)) {
                        let start = offs[i], end = offs[i + 1]
                        i += 1
                        if u < 0x80 {
                            let l = u >= 0x41 && u <= 0x5A ? u + 0x20 : u
                            emit(UInt32(l), l, 0, 1, start, end)
                            continue
                        }
                        if isPlainHan(u) {
                            emit(UInt32(u), u, 0, 1, start, end)
                            continue
                        }
                        let e = entry(u)
                        if e & Self.single != 0 {
                            let m = UInt16(e & Self.payload)
                            emit(UInt32(m), m, 0, 1, start, end)
                        } else if e & Self.multiFlag != 0 {
                            emitAll(multi[Int(e & Self.payload)][...], start, end, emit)
                        }
                        continue
                    }
                    // General path: a code point plus following code points without a boundary before them.
                    var j = i + UTF16Scalar.decode(src, i).length
                    while j < n, !isBoundary(src, j, n) { j += UTF16Scalar.decode(src, j).length }
                    let start = offs[i], end = offs[j]
                    let mapped = map(src, i, j)
                    i = j
                    emitAll(mapped, start, end, emit)
                }
            }
        }
        return count
    }

    /// Emits every scalar of a mapped chunk.
    @inline(__always)
    private func emitAll(_ mapped: ArraySlice<UInt16>, _ start: Int32, _ end: Int32,
                         _ emit: (UInt32, UInt16, UInt16, Int, Int32, Int32) -> Void) {
        var k = mapped.startIndex
        while k < mapped.endIndex {
            let (c, len) = UTF16Scalar.decode(mapped, k)
            emit(c, mapped[k], len == 2 ? mapped[k + 1] : 0, len, start, end)
            k += len
        }
    }

    private func isBoundary(_ s: UnsafeBufferPointer<UInt16>, _ j: Int, _ n: Int) -> Bool {
        let u = s[j]
        if u < 0x300 { return true }  // Latin-1 and ASCII always start a chunk
        if u & 0xF800 == 0xD800 {
            let c = UTF16Scalar.decode(s, j).scalar
            return cicu_nfkc_boundary_before(icu, Int32(bitPattern: c)) != 0
        }
        let e = entry(u)
        return e & Self.joins == 0
    }

    /// The normalised form of `s[i..<j]`, from the cache when the chunk is one BMP unit.
    private func map(_ s: UnsafeBufferPointer<UInt16>, _ i: Int, _ j: Int) -> ArraySlice<UInt16> {
        if j == i + 1 {
            let u = s[i]
            if u < 0x80 {
                scratch.removeAll(keepingCapacity: true)
                scratch.append(u >= 0x41 && u <= 0x5A ? u + 0x20 : u)
                return scratch[...]
            }
            if u & 0xF800 != 0xD800 {
                let e = entry(u)
                if e & Self.single != 0 {
                    scratch.removeAll(keepingCapacity: true)
                    scratch.append(UInt16(e & Self.payload))
                    return scratch[...]
                }
                if e & Self.empty != 0 { return [][...] }
                return multi[Int(e & Self.payload)][...]
            }
        }
        // A chunk that is exactly one astral code point is cached; any other chunk (a character
        // with combining marks) is normalised as it is.
        if case let (c, 2) = UTF16Scalar.decode(s, i), j == i + 2 {
            if let m = astral[c] { return m[...] }
            let m = icuNormalize(UnsafeBufferPointer(rebasing: s[i..<j]))
            astral[c] = m
            return m[...]
        }
        return icuNormalize(UnsafeBufferPointer(rebasing: s[i..<j]))[...]
    }

    /// One bit per unit of the basic Han block (U+4E00–U+9FFF), set for those the
    /// Traditional→Simplified table changes (2,841 of 20,992 with ICU 72); made once per process from
    /// the table's pairs. Every other unit of the block is its own NFKC_Casefold, its own
    /// simplified form and a chunk of its own (``entryThroughICU(_:shortcuts:)``), so it
    /// normalises to itself without a look at ``table``: 2.6 KB that stay in the L1 cache
    /// instead of a 256 KB table, whose loads were the largest stall of a hit line's
    /// normalisation in the server (perf).
    private static let changedHanBits: UnsafeMutablePointer<UInt64> = {
        let words = (0x9FFF - 0x4E00 + 1 + 63) / 64
        let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        bits.initialize(repeating: 0, count: words)
        for (from, _) in traditionalPairs where from >= 0x4E00 && from <= 0x9FFF {
            let k = Int(from - 0x4E00)
            bits[k >> 6] |= 1 << UInt64(k & 63)
        }
        return bits
    }()

    /// Whether `u` is a unit of the basic Han block that normalises to itself (see ``changedHanBits``).
    @inline(__always)
    func isPlainHan(_ u: UInt16) -> Bool {
        guard u >= 0x4E00 && u <= 0x9FFF else { return false }
        let k = Int(u &- 0x4E00)
        return changedHan[k &>> 6] & (1 &<< UInt64(k & 63)) == 0
    }

    /// The table entry of `u`, computed through ICU on first use.
    @inline(__always)
    private func entry(_ u: UInt16) -> UInt32 {
        let e = table[Int(u)]
        return e & Self.known != 0 ? e : computeEntry(u)
    }

    private func computeEntry(_ u: UInt16) -> UInt32 {
        let v = entryThroughICU(u, shortcuts: true)
        table[Int(u)] = v
        return v
    }

    /// The table entry of `u` as ICU defines it. With `shortcuts`, a CJK Unified Ideograph
    /// (U+4E00–U+9FFF) whose Traditional→Simplified form is one too costs no ICU call: such
    /// characters are their own NFKC_Casefold and start a chunk (a test checks the whole block
    /// against ICU), so their entry is their tabulated simplified form. A snippet's document
    /// brings hundreds of them, each a cache miss in a fresh process. Other units take one call
    /// (`cicu_map_unit`), or the general path should its buffer be too small.
    func entryThroughICU(_ u: UInt16, shortcuts: Bool) -> UInt32 {
        var v = Self.known
        if shortcuts && u >= 0x4E00 && u <= 0x9FFF {
            let t = cicu_t2s(UInt32(u))
            if t >= 0x4E00 && t <= 0x9FFF { return v | Self.single | t }
        }
        if u & 0xF800 != 0xD800 {
            var boundary: Int32 = 0
            var buf: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
            let entry: UInt32? = withUnsafeMutableBytes(of: &buf) { raw in
                let dst = raw.bindMemory(to: UInt16.self)
                let n = cicu_map_unit(icu, u, dst.baseAddress, Int32(dst.count), &boundary)
                guard n >= 0 else { return nil }
                var e = v
                if boundary == 0 { e |= Self.joins }
                if n == 0 {
                    e |= Self.empty
                } else if n == 1 {
                    e |= Self.single | UInt32(dst[0])
                } else {
                    e |= Self.multiFlag | UInt32(multi.count)
                    multi.append(Array(dst[0..<Int(n)]))
                }
                return e
            }
            if let e = entry { return e }
        }
        if cicu_nfkc_boundary_before(icu, Int32(u)) == 0 { v |= Self.joins }
        if u & 0xF800 == 0xD800 {
            v |= Self.empty  // lone surrogate halves are never looked up alone
        } else {
            var one = [u]
            let m = one.withUnsafeMutableBufferPointer { icuNormalize(UnsafeBufferPointer($0)) }
            if m.isEmpty {
                v |= Self.empty
            } else if m.count == 1 {
                v |= Self.single | UInt32(m[0])
            } else {
                v |= Self.multiFlag | UInt32(multi.count)
                multi.append(m)
            }
        }
        return v
    }

    /// The entry of `u` as the general path (``icuNormalize(_:)``) computes it, without
    /// caching; tests compare it with ``entryThroughICU(_:shortcuts:)``.
    func referenceEntry(_ u: UInt16) -> (joins: Bool, units: [UInt16]) {
        let joins = cicu_nfkc_boundary_before(icu, Int32(u)) == 0
        if u & 0xF800 == 0xD800 { return (joins, []) }
        var one = [u]
        return (joins, one.withUnsafeMutableBufferPointer { icuNormalize(UnsafeBufferPointer($0)) })
    }

    /// `entry` decoded: whether the unit joins the chunk before it, and what it maps to.
    func decodeEntry(_ e: UInt32) -> (joins: Bool, units: [UInt16]) {
        let joins = e & Self.joins != 0
        if e & Self.single != 0 { return (joins, [UInt16(e & Self.payload)]) }
        if e & Self.multiFlag != 0 { return (joins, multi[Int(e & Self.payload)]) }
        return (joins, [])
    }

    /// NFKC_Casefold, then Traditional→Simplified code point by code point (ICU's transliterator,
    /// tabulated: see `cicu_t2s`), then NFKC_Casefold again.
    private func icuNormalize(_ s: UnsafeBufferPointer<UInt16>) -> [UInt16] {
        let folded = nfkcCasefold(s)
        var mapped = [UInt16]()
        mapped.reserveCapacity(folded.count)
        var changed = false
        for scalar in UTF16Scalar.string(folded).unicodeScalars {
            let t = cicu_t2s(scalar.value)
            if t != scalar.value { changed = true }
            let u = Unicode.Scalar(t) ?? scalar
            mapped.append(contentsOf: String(u).utf16)
        }
        return changed ? mapped.withUnsafeBufferPointer { nfkcCasefold($0) } : folded
    }

    private func nfkcCasefold(_ s: UnsafeBufferPointer<UInt16>) -> [UInt16] {
        var cap = s.count * 4 + 16
        while true {
            var out = [UInt16](repeating: 0, count: cap)
            let n = out.withUnsafeMutableBufferPointer {
                cicu_nfkc_casefold(icu, s.baseAddress, Int32(s.count), $0.baseAddress, Int32(cap))
            }
            if n == -2 { cap *= 4; continue }
            if n < 0 { return Array(s) }  // ICU failure: keep the text as it is
            out.removeLast(out.count - Int(n))
            return out
        }
    }

    /// The reference normalisation through ICU's live Traditional-Simplified transliterator
    /// (opened on first use, which costs 10–15 ms). Tests compare it with the tabulated path.
    public func referenceNormalize(_ s: String) -> String {
        var src = Array(s.utf16)
        var cap = src.count * 18 + 64
        while true {
            var out = [UInt16](repeating: 0, count: cap)
            let n = src.withUnsafeMutableBufferPointer { sp in
                out.withUnsafeMutableBufferPointer { cicu_normalize(icu, sp.baseAddress, Int32(sp.count), $0.baseAddress, Int32(cap)) }
            }
            if n == -2 { cap *= 4; continue }
            if n < 0 { return s }
            return String(decoding: out[0..<Int(n)], as: UTF16.self)
        }
    }

    /// Number of code points the Traditional→Simplified table changes.
    public static var traditionalTableCount: Int { Int(cicu_t2s_count()) }

    /// The Traditional→Simplified table's pairs, (Traditional, Simplified), in code point order.
    public static let traditionalPairs: [(from: UInt32, to: UInt32)] = (0..<cicu_t2s_count()).map { i in
        var to: UInt32 = 0
        let from = cicu_t2s_pair(i, &to)
        return (from, to)
    }
}
