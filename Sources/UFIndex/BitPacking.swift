// Bit-level coding of the postings files (grammar in PostingsFormat.swift): fixed-width
// packing with patched exceptions, and a least-significant-bit-first bit writer.

/// Fixed-width bit packing of unsigned 32-bit values (grammar in PostingsFormat.swift).
enum BitPacking {
    /// Bits needed for `maxValue` (0 for 0).
    @inline(__always) static func width(_ maxValue: UInt32) -> Int { 32 &- maxValue.leadingZeroBitCount }

    /// Bytes of `n` packed values of `bits` bits.
    @inline(__always) static func byteCount(_ n: Int, _ bits: Int) -> Int { (n &* bits &+ 7) &>> 3 }

    /// Appends the low `bits` bits of each of `values`.
    static func pack(_ values: UnsafeBufferPointer<UInt32>, bits: Int, into w: inout RawBytes) {
        guard bits > 0 else { return }
        let mask: UInt64 = (1 &<< UInt64(bits)) &- 1
        var acc: UInt64 = 0
        var filled = 0
        for v in values {
            acc |= (UInt64(v) & mask) &<< UInt64(filled)
            filled &+= bits
            if filled >= 32 {
                w.u32LE(UInt32(truncatingIfNeeded: acc))
                acc &>>= 32
                filled &-= 32
            }
        }
        while filled > 0 {
            w.u8(UInt8(truncatingIfNeeded: acc))
            acc &>>= 8
            filled &-= 8
        }
    }

    /// Unpacks `n` values of `bits` bits from `src` into `out`. The caller has checked that
    /// `byteCount(n, bits)` bytes are readable; `readable` is how many bytes may be loaded from
    /// `src` in all (with 7 to spare, whole 8-byte words are loaded).
    @inline(__always)
    static func unpack(_ src: UnsafeRawPointer, count n: Int, bits: Int, readable: Int, into out: UnsafeMutablePointer<UInt32>) {
        if bits == 0 {
            out.update(repeating: 0, count: n)
            return
        }
        let mask: UInt64 = (1 &<< UInt64(bits)) &- 1
        if readable >= byteCount(n, bits) &+ 7 {
            if n & 7 == 0 && bits <= 16 {
                // Whole groups of eight values (a group is `bits` bytes): one case per width, so
                // that every shift and mask below is a constant and the group's loop unrolls.
                let g = n &>> 3
                switch bits {
                case 1: unpackGroups(src, groups: g, bits: 1, into: out)
                case 2: unpackGroups(src, groups: g, bits: 2, into: out)
                case 3: unpackGroups(src, groups: g, bits: 3, into: out)
                case 4: unpackGroups(src, groups: g, bits: 4, into: out)
                case 5: unpackGroups(src, groups: g, bits: 5, into: out)
                case 6: unpackGroups(src, groups: g, bits: 6, into: out)
                case 7: unpackGroups(src, groups: g, bits: 7, into: out)
                case 8: unpackGroups(src, groups: g, bits: 8, into: out)
                case 9: unpackGroups(src, groups: g, bits: 9, into: out)
                case 10: unpackGroups(src, groups: g, bits: 10, into: out)
                case 11: unpackGroups(src, groups: g, bits: 11, into: out)
                case 12: unpackGroups(src, groups: g, bits: 12, into: out)
                case 13: unpackGroups(src, groups: g, bits: 13, into: out)
                case 14: unpackGroups(src, groups: g, bits: 14, into: out)
                case 15: unpackGroups(src, groups: g, bits: 15, into: out)
                default: unpackGroups(src, groups: g, bits: 16, into: out)
                }
                return
            }
            var bit = 0
            for k in 0..<n {
                let w = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
                out[k] = UInt32(truncatingIfNeeded: (w &>> UInt64(bit & 7)) & mask)
                bit &+= bits
            }
        } else {
            var acc: UInt64 = 0
            var filled = 0
            var p = 0
            for k in 0..<n {
                while filled < bits {
                    acc |= UInt64(src.load(fromByteOffset: p, as: UInt8.self)) &<< UInt64(filled)
                    p &+= 1
                    filled &+= 8
                }
                out[k] = UInt32(truncatingIfNeeded: acc & mask)
                acc &>>= UInt64(bits)
                filled &-= bits
            }
        }
    }

    /// Unpacks `groups` groups of eight `bits`-bit values; 8-byte loads may read up to 7 bytes
    /// past the last group (the caller checked they are readable).
    @inline(__always)
    static func unpackGroups(_ src: UnsafeRawPointer, groups: Int, bits: Int, into out: UnsafeMutablePointer<UInt32>) {
        let mask: UInt64 = (1 &<< UInt64(bits)) &- 1
        var p = src
        var o = out
        for _ in 0..<groups {
            for j in 0..<8 {
                let bit = j &* bits
                let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
                o[j] = UInt32(truncatingIfNeeded: (w &>> UInt64(bit & 7)) & mask)
            }
            p += bits
            o += 8
        }
    }

    /// The width that makes `values` smallest as packed low bits plus exceptions.
    static func patchedWidth(_ values: UnsafeBufferPointer<UInt32>) -> Int {
        // One value: an exception costs at least a byte more than the bits it saves.
        if values.count == 1 { return width(values[0]) }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 33) { hist in
            hist.initialize(repeating: 0)
            for v in values { hist[width(v)] += 1 }
            var top = 32
            while top > 0 && hist[top] == 0 { top -= 1 }
            var best = top, bestCost = byteCount(values.count, top)
            var above = 0  // values wider than b
            for b in stride(from: top - 1, through: 0, by: -1) {
                // Every exception costs at least two bytes, and narrower widths only add
                // exceptions: once they alone cost as much as the best, nothing narrower wins.
                above += hist[b + 1]
                if 2 * above >= bestCost { break }
                var cost = byteCount(values.count, b)
                for w in (b + 1)...top where hist[w] > 0 { cost += hist[w] * (1 + (w - b + 6) / 7) }
                if cost < bestCost { best = b; bestCost = cost }
            }
            return best
        }
    }

    /// Appends the exceptions of `values` at width `bits`: index and the bits above `bits`.
    static func exceptions(_ values: UnsafeBufferPointer<UInt32>, bits: Int, into w: inout RawBytes) {
        for (i, v) in values.enumerated() where width(v) > bits { w.u8(UInt8(i)); w.varint(UInt64(v) >> UInt64(bits)) }
    }

    /// Number of exceptions of `values` at width `bits`.
    static func exceptionCount(_ values: UnsafeBufferPointer<UInt32>, bits: Int) -> Int {
        values.reduce(0) { $0 + (width($1) > bits ? 1 : 0) }
    }
}

/// A least-significant-bit-first bit stream written into bytes (whole 32-bit words while it
/// runs; `finish` pads the last bits to a byte).
struct BitWriter {
    private var acc: UInt64 = 0
    private var filled = 0

    /// Bits written to `out` since `start` (a byte offset in it), including those not yet flushed.
    @inline(__always) func bitCount(_ out: RawBytes, since start: Int) -> Int { (out.count - start) * 8 + filled }

    /// Appends the low `count` bits of `value` (count ≤ 32; `value` has no higher bits).
    @inline(__always) mutating func write(_ value: UInt64, _ count: Int, to out: inout RawBytes) {
        acc |= value &<< UInt64(filled)
        filled &+= count
        if filled >= 32 {
            out.u32LE(UInt32(truncatingIfNeeded: acc))
            acc &>>= 32
            filled &-= 32
        }
    }

    /// Appends `v` (< `u`) in truncated binary over 0 ..< u.
    @inline(__always) mutating func truncated(_ v: UInt32, over u: UInt32, to out: inout RawBytes) {
        let (short, cut) = Rice.truncated(u)
        guard u > 1 else { return }
        let x = UInt64(v)
        if x < cut {
            write(x, short, to: &out)
        } else {
            write((x + cut) >> 1, short, to: &out)
            write((x + cut) & 1, 1, to: &out)
        }
    }

    /// Appends `v` Rice-coded with parameter `k`.
    @inline(__always) mutating func rice(_ v: UInt32, k: Int, to out: inout RawBytes) {
        var q = Int(v >> UInt32(k))
        while q >= 32 { write(0, 32, to: &out); q -= 32 }
        write(1 &<< UInt64(q), q + 1, to: &out)
        if k > 0 { write(UInt64(v) & ((1 &<< UInt64(k)) &- 1), k, to: &out) }
    }

    /// Appends the remaining bits, padded to a byte.
    mutating func finish(to out: inout RawBytes) {
        while filled > 0 {
            out.u8(UInt8(truncatingIfNeeded: acc))
            acc &>>= 8
            filled &-= 8
        }
        acc = 0
        filled = 0
    }
}
