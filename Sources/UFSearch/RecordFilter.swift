import UFAnalysis
import UFIndex

/// A `title:`, `path:` or `year:` filter, tested on a document's record alone: `path:` holds
/// when the path's UTF-8 bytes contain the text's, `title:` when the normalised title's code
/// units contain the (normalised) text's, `year:` when the document's year is known and in range.
enum RecordFilter {
    case path([UInt8])
    case year(lo: Int, hi: Int)
    /// Titles are normalised with this normaliser, which must not be used by two threads at once.
    case title([UInt16], Normalizer)

    /// The filter of a `.title`, `.path` or `.year` plan, else nil.
    init?(_ plan: QueryPlan, normalizer: Normalizer) {
        switch plan {
        case .path(let p): self = .path(Array(p.utf8))
        case .year(let l, let h): self = .year(lo: l ?? Int.min, hi: h ?? Int.max)
        case .title(let t): self = .title(Array(t.utf16), normalizer)
        default: return nil
        }
    }

    /// True for a filter that uses a normaliser (a search must test it on one thread).
    var needsNormalizer: Bool { if case .title = self { true } else { false } }

    /// True when local document `d` of `table` passes every filter of `filters` (its record read once).
    @inline(__always)
    static func all(_ filters: [RecordFilter], pass table: DocTableReader, _ d: Int32) throws -> Bool {
        let f = try table.filterFields(Int(d))
        return filters.allSatisfy { $0.passes(f) }
    }

    /// True when a document with these record fields (``UFIndex/DocTableReader/filterFields(_:)``) passes.
    @inline(__always)
    func passes(_ f: (path: UnsafeRawBufferPointer, title: UnsafeRawBufferPointer, year: UInt16)) -> Bool {
        switch self {
        case .path(let p): return Self.contains(f.path, p)
        case .year(let lo, let hi): return f.year != 0 && Int(f.year) >= lo && Int(f.year) <= hi
        case .title(let needle, let normalizer): return Self.title(f.title, contains: needle, normalizer)
        }
    }

    /// True when the normalised form of the UTF-8 title `title` holds the code units `needle`.
    static func title(_ title: UnsafeRawBufferPointer, contains needle: [UInt16], _ normalizer: Normalizer) -> Bool {
        guard !needle.isEmpty else { return true }
        guard let decoded = try? DecodedText.decode(title) else { return false }
        return normalizer.withNormalized(decoded) { Self.contains($0.text, needle) }
    }

    /// True when `haystack` holds `needle` contiguously.
    static func contains<C: RandomAccessCollection>(_ haystack: C, _ needle: [C.Element]) -> Bool where C.Element: Equatable, C.Index == Int {
        guard let first = needle.first else { return true }
        let m = needle.count, start = haystack.startIndex
        guard m <= haystack.count else { return false }
        for i in start...(haystack.endIndex - m) where haystack[i] == first {
            var k = 1
            while k < m && haystack[i + k] == needle[k] { k += 1 }
            if k == m { return true }
        }
        return false
    }
}
