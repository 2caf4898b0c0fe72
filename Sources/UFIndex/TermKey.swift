// Term keys.
//
// Every term in a segment's dictionary is a byte string: one kind byte, then UTF-8.
//
//   key     := 'B' utf8(c1) [utf8(c2)]   Han/kana character bigram with positions; without c2
//                                         it is the end marker: c1 followed by a non-character unit
//                                         or the end of the text
//            | 'T' utf8(unit)             a letter or number word, or one punctuation character,
//                                         with positions (matching, and BM25 for words)
//            | 'W' utf8(word)             an ICU Han word, frequencies only (BM25)
//
// Keys sort bytewise, so all bigrams that start with one character (and its end marker)
// form one contiguous range: the matcher finds every position of a lone character by a
// prefix scan of 'B' utf8(c).

import UFAnalysis

/// The kind byte that starts a term key.
public enum TermKind: UInt8, Sendable {
    /// A character bigram or end marker, with positions.
    case bigram = 0x42  // "B"
    /// A letter/number word or punctuation unit, with positions.
    case token = 0x54  // "T"
    /// A Han word, frequencies only.
    case word = 0x57  // "W"

    /// True when postings of this kind carry positions.
    public var hasPositions: Bool { self != .word }
}

/// Building term keys.
public enum TermKey {
    /// Appends the UTF-8 encoding of scalar `c` to `out`.
    @inlinable
    public static func appendUTF8(_ c: UInt32, to out: inout [UInt8]) {
        if c < 0x80 {
            out.append(UInt8(c))
        } else if c < 0x800 {
            out.append(UInt8(0xC0 | (c >> 6))); out.append(UInt8(0x80 | (c & 0x3F)))
        } else if c < 0x10000 {
            out.append(UInt8(0xE0 | (c >> 12))); out.append(UInt8(0x80 | ((c >> 6) & 0x3F))); out.append(UInt8(0x80 | (c & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (c >> 18))); out.append(UInt8(0x80 | ((c >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((c >> 6) & 0x3F))); out.append(UInt8(0x80 | (c & 0x3F)))
        }
    }

    /// The key of a bigram (c2 == 0: the end marker of c1).
    public static func bigram(_ c1: UInt32, _ c2: UInt32) -> [UInt8] {
        var k: [UInt8] = [TermKind.bigram.rawValue]
        appendUTF8(c1, to: &k)
        if c2 != 0 { appendUTF8(c2, to: &k) }
        return k
    }

    /// The key of a normalised text of the given kind.
    public static func text(_ kind: TermKind, _ s: String) -> [UInt8] {
        [kind.rawValue] + Array(s.utf8)
    }

    /// The key of UTF-16 units of the given kind.
    public static func utf16<C: Collection>(_ kind: TermKind, _ units: C) -> [UInt8] where C.Element == UInt16 {
        var k: [UInt8] = [kind.rawValue]
        for s in String(decoding: Array(units), as: UTF16.self).unicodeScalars { appendUTF8(s.value, to: &k) }
        return k
    }

    /// A readable rendering of a key, for `--explain` and debugging.
    public static func describe(_ key: [UInt8]) -> String {
        guard let first = key.first, let kind = TermKind(rawValue: first) else { return "?" }
        let body = String(decoding: key.dropFirst(), as: UTF8.self)
        switch kind {
        case .bigram: return body.unicodeScalars.count == 1 ? body + "$" : body
        case .token, .word: return body
        }
    }
}
