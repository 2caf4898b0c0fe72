/// Character classes the analyser and the matcher agree on.
public enum CharClass {
    /// True for Han ideographs (CJK Unified Ideographs and extensions, compatibility
    /// ideographs, 〇 and 々): the characters matched one by one, and between which
    /// whitespace is dropped.
    @inlinable
    public static func isHan(_ c: UInt32) -> Bool {
        switch c {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x3FFFF, 0xF900...0xFAFF, 0x3005, 0x3007:
            return true
        default:
            return false
        }
    }

    /// True for characters matched one by one, as Han is: Han plus Japanese kana.
    @inlinable
    public static func isCharUnit(_ c: UInt32) -> Bool {
        if isHan(c) { return true }
        switch c {
        case 0x3040...0x30FF, 0x31F0...0x31FF: return true
        default: return false
        }
    }

    /// True for punctuation and symbols (general categories P* and S*). ICU's word rules keep
    /// some of them inside a letter or number word (`2019,2020`, `3.14`, `debian's`, `a_b`:
    /// UAX #29's MidNum, MidLetter, MidNumLet and ExtendNumLet), and NFKC turns the full-width
    /// marks of Chinese text into those ASCII ones (`2019，2020年` becomes `2019,2020年`). The
    /// segmenter cuts such words at these characters, which become punctuation units, so that
    /// `2019` matches `2019，2020年` as grep would, and `2019,2020` still matches as a sequence.
    @inline(__always)
    public static func isPunctuationOrSymbol(_ c: UInt32) -> Bool {
        if c < 0x80 {
            let lower = c | 0x20
            return !((c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x7A)) && c > 0x20 && c != 0x7F
        }
        guard let s = Unicode.Scalar(c) else { return false }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// True for the whitespace that separates words (after NFKC, which maps U+3000 and
    /// U+00A0 to U+0020): space, tab, line breaks and the Unicode line/paragraph separators.
    @inlinable
    public static func isSpace(_ c: UInt32) -> Bool {
        switch c {
        case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}

/// Decoding UTF-16 one code point at a time (a lone surrogate decodes as itself, one unit long).
public enum UTF16Scalar {
    /// The code point starting at `i` in `t`, and how many units it takes (1 or 2).
    @inlinable @inline(__always)
    public static func decode<C: RandomAccessCollection>(_ t: C, _ i: C.Index) -> (scalar: UInt32, length: Int)
    where C.Element == UInt16, C.Index == Int {
        let u = t[i]
        if u & 0xFC00 == 0xD800, i + 1 < t.endIndex, t[i + 1] & 0xFC00 == 0xDC00 {
            return (0x10000 + (UInt32(u & 0x3FF) << 10 | UInt32(t[i + 1] & 0x3FF)), 2)
        }
        return (UInt32(u), 1)
    }

    /// The string of UTF-16 units `t`, each unpaired surrogate replaced by U+FFFD: the same
    /// string as `String(decoding: t, as: UTF16.self)`, written straight as UTF-8. The generic
    /// initialiser instantiates its collection types by mangled name on first use, and each
    /// such lookup scans every protocol conformance of the binary (tens of µs per process).
    public static func string(_ t: UnsafeBufferPointer<UInt16>) -> String {
        String(unsafeUninitializedCapacity: t.count * 3) { out in
            var n = 0
            var i = 0
            while i < t.count {
                let u = t[i]
                if u < 0x80 {
                    out[n] = UInt8(u); n += 1; i += 1
                    continue
                }
                var c = UInt32(u)
                i += 1
                if u & 0xF800 == 0xD800 {
                    if u & 0xFC00 == 0xD800, i < t.count, t[i] & 0xFC00 == 0xDC00 {
                        c = 0x10000 + (UInt32(u & 0x3FF) << 10 | UInt32(t[i] & 0x3FF))
                        i += 1
                    } else {
                        c = 0xFFFD
                    }
                }
                if c < 0x800 {
                    out[n] = UInt8(0xC0 | c >> 6); out[n + 1] = UInt8(0x80 | c & 0x3F); n += 2
                } else if c < 0x10000 {
                    out[n] = UInt8(0xE0 | c >> 12); out[n + 1] = UInt8(0x80 | c >> 6 & 0x3F)
                    out[n + 2] = UInt8(0x80 | c & 0x3F); n += 3
                } else {
                    out[n] = UInt8(0xF0 | c >> 18); out[n + 1] = UInt8(0x80 | c >> 12 & 0x3F)
                    out[n + 2] = UInt8(0x80 | c >> 6 & 0x3F); out[n + 3] = UInt8(0x80 | c & 0x3F); n += 4
                }
            }
            return n
        }
    }

    /// See ``string(_:)-(UnsafeBufferPointer<UInt16>)``.
    public static func string(_ t: ArraySlice<UInt16>) -> String { t.withUnsafeBufferPointer { string($0) } }

    /// See ``string(_:)-(UnsafeBufferPointer<UInt16>)``.
    public static func string(_ t: [UInt16]) -> String { t.withUnsafeBufferPointer { string($0) } }
}
