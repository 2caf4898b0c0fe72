// Rice coding of positions (grammar in PostingsFormat.swift): parameters, truncated binary,
// and the reader; BitWriter writes the streams.

/// Rice coding (grammar in PostingsFormat.swift).
enum Rice {
    /// The parameter for the first position of a document with `units` units and `tf` > 1.
    @inline(__always) static func firstParameter(units: UInt32, tf: UInt32) -> Int {
        let m = max(1, (UInt64(units) * 2) / (3 * (UInt64(tf) + 1)))
        return min(31, 63 - m.leadingZeroBitCount)
    }

    /// Truncated binary over 0 ..< u: the shorter width b − 1 and the cut c (see the grammar).
    @inline(__always) static func truncated(_ u: UInt32) -> (short: Int, cut: UInt64) {
        guard u > 1 else { return (0, u == 1 ? 1 : 0) }
        let b = 32 - (u - 1).leadingZeroBitCount   // ⌈log2 u⌉
        return (b - 1, (UInt64(1) << UInt64(b)) - UInt64(u))
    }

    /// The parameter that codes `values` in the fewest bits.
    static func parameter(_ values: UnsafeBufferPointer<UInt32>) -> Int {
        guard !values.isEmpty else { return 0 }
        let sum = values.reduce(UInt64(0)) { $0 + UInt64($1) }
        let mean = sum / UInt64(values.count)
        let k0 = max(0, 63 - Int(mean | 1).leadingZeroBitCount)
        var best = k0, bestCost = UInt64.max
        for k in max(0, k0 - 1)...min(31, k0 + 1) {
            var cost = UInt64(values.count) * UInt64(1 + k)
            for v in values { cost += UInt64(v >> UInt32(k)) }
            if cost < bestCost { best = k; bestCost = cost }
        }
        // Keep every unary part short, whatever the outliers.
        let top = values.max() ?? 0
        while best < 31 && top >> UInt32(best) > 1024 { best += 1 }
        return best
    }
}

/// Reads Rice-coded values from a least-significant-bit-first stream (grammar in
/// PostingsFormat.swift), loading whole words where `readable` allows and zeros past it.
struct RiceReader {
    let base: UnsafeRawPointer
    let readable: Int
    var bit: Int
    let endBit: Int

    /// At least 57 valid bits from `bit` on.
    @inline(__always) func word() -> UInt64 {
        let byte = bit &>> 3
        var w: UInt64
        if byte &+ 8 <= readable {
            w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
        } else {
            w = 0
            var i = 0
            while i < 8 && byte &+ i < readable {
                w |= UInt64(base.load(fromByteOffset: byte &+ i, as: UInt8.self)) &<< UInt64(8 &* i)
                i &+= 1
            }
        }
        return w &>> UInt64(bit & 7)
    }

    /// The next value in truncated binary over 0 ..< u (see the grammar).
    @inline(__always) mutating func truncated(over u: UInt32) -> UInt32 {
        let (short, cut) = Rice.truncated(u)
        guard u > 1 else { return 0 }
        let w = word()
        var x = w & ((1 &<< UInt64(short)) &- 1)
        if x < cut {
            bit &+= short
        } else {
            x = (x &<< 1 | (w &>> UInt64(short)) & 1) &- cut
            bit &+= short &+ 1
        }
        return UInt32(truncatingIfNeeded: x)
    }

    /// Decodes `n` gaps coded with parameter `k`, writing their running sums from `p0` to `out`;
    /// returns the last sum. Decodes from a 64-bit buffer, reloading only when a code does not
    /// fit in what is left of it.
    @inline(__always) mutating func gaps(_ n: Int, k: Int, from p0: UInt32, into out: UnsafeMutablePointer<UInt32>) throws -> UInt32 {
        var p = p0
        let kk = UInt64(k)
        let mask: UInt64 = (1 &<< kk) &- 1
        var buf = word()
        var avail = 57
        var i = 0
        while i < n {
            let z = buf.trailingZeroBitCount
            let need = z &+ 1 &+ k
            if need > avail {
                // Reload at the current bit; a code longer than a word takes the general path.
                buf = word()
                avail = 57
                if (buf & 0x01ff_ffff_ffff_ffff).trailingZeroBitCount &+ 1 &+ k > 57 {
                    p &+= try next(k: k)
                    out[i] = p
                    i &+= 1
                    buf = word()
                }
                continue
            }
            p &+= UInt32(truncatingIfNeeded: (UInt64(z) &<< kk) | ((buf &>> UInt64(z &+ 1)) & mask))
            out[i] = p
            i &+= 1
            buf &>>= UInt64(need)
            avail &-= need
            bit &+= need
        }
        return p
    }

    /// The next value, coded with parameter `k`.
    @inline(__always) mutating func next(k: Int) throws -> UInt32 {
        var q: UInt64 = 0
        var w = word() & 0x01ff_ffff_ffff_ffff
        while w == 0 {
            q &+= 57
            bit &+= 57
            guard bit <= endBit else { throw IndexError.corrupt(file: "positions", detail: "Rice code runs past its block") }
            w = word() & 0x01ff_ffff_ffff_ffff
        }
        let z = w.trailingZeroBitCount
        q &+= UInt64(z)
        bit &+= z &+ 1
        var r: UInt64 = 0
        if k > 0 {
            let z1 = z &+ 1
            if z1 &+ k <= 57 {
                r = (w &>> UInt64(z1)) & ((1 &<< UInt64(k)) &- 1)
            } else {
                r = word() & ((1 &<< UInt64(k)) &- 1)
            }
            bit &+= k
        }
        return UInt32(truncatingIfNeeded: (q &<< UInt64(k)) | r)
    }
}
