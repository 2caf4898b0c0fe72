#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decimal text of a number with a fixed number of fraction digits, exactly as C's `%.Nf`
/// (`String(format: "%.2f", x)`) writes it: the exact binary value, rounded half to even.
/// The CLI and the server print scores and timings this way: the binary does not link
/// Foundation (and so has no `String(format:)`), and formatting here costs no C call.
public enum FixedPoint {
    /// `x` with `digits` fraction digits, or nil (``text(_:digits:)`` formats it then) when
    /// `digits` is not in 0...4, or `x` is not finite or not below 2^49 in magnitude.
    public static func format(_ x: Double, digits: Int) -> String? {
        guard digits >= 0 && digits <= 4, x.isFinite, x.magnitude < 0x1p49 else { return nil }
        var scale: UInt64 = 1
        for _ in 0 ..< digits { scale *= 10 }
        // |x| = m · 2^e exactly, so |x| · scale = (m · scale) · 2^e, with m · scale < 2^67.
        let m = x.significandBitPattern | (x.exponentBitPattern == 0 ? 0 : 1 << 52)
        let e = x.exponentBitPattern == 0 ? -1074 : Int(x.exponentBitPattern) - 1075
        let (hi, lo) = m.multipliedFullWidth(by: scale)
        var q: UInt64  // |x| · scale rounded; below 2^63 since |x| < 2^49
        if e >= 0 {
            q = lo << UInt64(e)  // hi is 0 here: m · scale · 2^e < 2^63
        } else {
            // q = (hi:lo) >> s; the dropped bits (restHi:restLo) are compared with one half.
            let s = -e
            var restHi: UInt64 = 0, restLo: UInt64 = 0, halfHi: UInt64 = 0, halfLo: UInt64 = 0
            if s >= 128 {
                q = 0; restHi = hi; restLo = lo; halfHi = .max  // far below one half
            } else if s > 64 {
                q = hi >> UInt64(s - 64)
                restHi = hi & ((1 << UInt64(s - 64)) - 1); restLo = lo
                halfHi = 1 << UInt64(s - 65)
            } else if s == 64 {
                q = hi; restLo = lo; halfLo = 1 << 63
            } else {
                q = (lo >> UInt64(s)) | (s == 0 ? 0 : hi << UInt64(64 - s))
                restLo = lo & ((1 << UInt64(s)) - 1)
                halfLo = 1 << UInt64(s - 1)
            }
            let above = restHi > halfHi || (restHi == halfHi && restLo > halfLo)
            let tie = restHi == halfHi && restLo == halfLo
            if above || (tie && q & 1 == 1) { q += 1 }
        }
        var text = String(q / scale)
        if digits > 0 {
            var frac = String(q % scale)
            while frac.utf8.count < digits { frac = "0" + frac }
            text += "." + frac
        }
        return x.sign == .minus ? "-" + text : text
    }

    /// `x` with `digits` fraction digits (0...17), as C's `%.Nf`; `nan`, `inf` or `-inf` when it
    /// is not finite. Numbers ``format(_:digits:)`` does not take go through C's `vsnprintf`.
    public static func text(_ x: Double, digits: Int) -> String {
        if let s = format(x, digits: digits) { return s }
        guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
        let d = min(max(digits, 0), 17)
        // At most 309 integer digits, a sign, a point and 17 fraction digits.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 400) { buf in
            let n = withVaList([x]) { vsnprintf(buf.baseAddress!, buf.count, "%.\(d)f", $0) }
            guard n > 0 else { return String(x) }
            return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress!, count: min(Int(n), buf.count - 1)), as: UTF8.self)
        }
    }
}
