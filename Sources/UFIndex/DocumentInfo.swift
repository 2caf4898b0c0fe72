import UFAnalysis

/// What the index records about one document besides its postings.
public struct DocumentInfo: Sendable, Equatable {
    /// The document's key (``DocumentPath``): its path relative to the folder that holds the
    /// index when it lies under it, else absolute.
    public var path: String
    /// The first non-empty line of the text, trimmed (longer than 80 characters: cut, with …).
    public var title: String
    /// File size in bytes.
    public var size: UInt64
    /// Modification time, nanoseconds since the epoch; ``unknownMtime`` when the file was
    /// modified so shortly before it was read that a later change could leave the same time.
    public var mtimeNanos: Int64
    /// Content hash of the file's bytes (`Checksum.contentHash`).
    public var hash: UInt64
    /// The year taken from the title, the path or the first date in the text; 0 when none.
    public var year: UInt16
    /// The encoding the bytes were decoded from.
    public var encoding: SourceEncoding
    /// Document length in ICU word tokens (BM25's dl).
    public var length: UInt32
    /// Number of matching units (positions run 0 ..< units); it scales the coding of positions.
    public var units: UInt32
    /// Where some matching units start in the original bytes, for long UTF-8 documents only
    /// (see ``UnitAnchor``); empty otherwise.
    public var anchors: [UnitAnchor] = []

    /// The modification time recorded for a file read less than ``racyMarginNanos`` after it
    /// was modified. File times advance by clock ticks (milliseconds), so a change made in the
    /// same tick after the read would keep the time it was read with; such a document never
    /// matches a file by size and time, and a sync compares its content instead (as git does
    /// for its "racily clean" entries).
    public static let unknownMtime = Int64.min
    /// How recent a modification, at the time of the read, makes the recorded time unknown.
    public static let racyMarginNanos: Int64 = 1_000_000_000

    /// Creates a record.
    public init(path: String, title: String, size: UInt64, mtimeNanos: Int64, hash: UInt64, year: UInt16,
                encoding: SourceEncoding, length: UInt32, units: UInt32 = 0) {
        self.path = path; self.title = title; self.size = size; self.mtimeNanos = mtimeNanos
        self.hash = hash; self.year = year; self.encoding = encoding; self.length = length; self.units = units
    }
}

/// A place in a long document where reading may start: matching unit `unit` is a Han
/// character of the basic block (U+4E00...U+9FFF) whose UTF-8 bytes start at `byte` in the
/// original text. Such a character starts a normalisation chunk of its own and ends any run of
/// letters and digits, so the text from `byte` on normalises, and splits into units, exactly as
/// the whole text does from there. Snippets of a match deep in a long document start reading at
/// the anchor before it instead of at the start (see `Searcher.detail`).
public struct UnitAnchor: Sendable, Equatable {
    /// The unit's position (as in the positions of the document's postings).
    public var unit: UInt32
    /// The offset of its first byte in the original text.
    public var byte: UInt32

    /// Creates an anchor.
    public init(unit: UInt32, byte: UInt32) { self.unit = unit; self.byte = byte }

    /// True when the UTF-8 bytes at `b` start a Han character of the basic block
    /// (U+4E00...U+9FFF: lead byte E4 with a second byte from B8, or E5...E9).
    @inlinable
    public static func startsBasicHan(_ bytes: UnsafeRawBufferPointer, at b: Int) -> Bool {
        guard b >= 0, b + 1 < bytes.count else { return false }
        let b0 = bytes[b]
        return (b0 >= 0xE5 && b0 <= 0xE9) || (b0 == 0xE4 && bytes[b + 1] >= 0xB8)
    }
}

/// Units between anchors: a document gets one about every this many units.
public let unitAnchorInterval: UInt32 = 2048

/// Title and year extraction.
public enum DocumentFacts {
    /// The first non-empty line of `text`, trimmed; cut at 80 characters (with …).
    public static func title(of text: [UInt16]) -> String {
        var start = text.first == 0xFEFF ? 1 : 0  // a byte-order mark is not part of the title
        let n = text.count
        while start < n {
            var end = start
            while end < n && text[end] != 0x0A && text[end] != 0x0D { end += 1 }
            let line = String(decoding: text[start..<end], as: UTF16.self)
                .trimmingCharacters(where: { $0.isWhitespace })
            if !line.isEmpty { return line.count > 80 ? String(line.prefix(80)) + "…" : line }
            start = end + 1
        }
        return ""
    }

    /// The year named by the title, else the path, else the first date in the first 4,000
    /// characters of the text (a four-digit 19xx/20xx followed by 年, -, . or /). 0 if none.
    /// `text` is normalised (NFKC: full-width digits and marks are ASCII); the title is not, so
    /// its full-width digits count as digits too.
    public static func year(title: String, path: String, text: [UInt16]) -> UInt16 {
        if let y = firstYear(Array(title.utf16), needsDateMark: false) { return y }
        if let y = firstYear(Array(path.utf16), needsDateMark: false) { return y }
        return firstYear(Array(text.prefix(4000)), needsDateMark: true) ?? 0
    }

    static func firstYear(_ s: [UInt16], needsDateMark: Bool) -> UInt16? {
        func digit(_ u: UInt16) -> Int? {
            (0x30...0x39).contains(u) ? Int(u - 0x30) : (0xFF10...0xFF19).contains(u) ? Int(u - 0xFF10) : nil
        }
        var i = 0
        while i + 4 <= s.count {
            if let a = digit(s[i]), let b = digit(s[i + 1]), let c = digit(s[i + 2]), let d = digit(s[i + 3]),
               (a == 1 && b == 9) || (a == 2 && b == 0),
               i == 0 || digit(s[i - 1]) == nil,
               i + 4 == s.count || digit(s[i + 4]) == nil {
                if !needsDateMark || (i + 4 < s.count && [0x5E74, 0x2D, 0x2E, 0x2F].contains(s[i + 4])) {
                    return UInt16(a * 1000 + b * 100 + c * 10 + d)
                }
            }
            i += 1
        }
        return nil
    }
}

extension String {
    func trimmingCharacters(where pred: (Character) -> Bool) -> String {
        var s = Substring(self)
        while let f = s.first, pred(f) { s.removeFirst() }
        while let l = s.last, pred(l) { s.removeLast() }
        return String(s)
    }
}
