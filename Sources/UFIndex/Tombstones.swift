// Tombstones (.del): which documents of a segment are deleted, as of one commit.
// The file is named seg-<id>-<delGeneration>.del; a newer commit writes a new file.
//
//   body := docCount:u32le bitmap:u8{ceil(docCount / 8)}   bit d set = document d deleted
//                                                           (bit d % 8 of byte d / 8)

/// A segment's deleted documents.
public struct Tombstones: Sendable, Equatable {
    /// Bitmap, one bit per document.
    public private(set) var bits: [UInt8]
    /// Documents covered.
    public let docCount: Int

    /// No document deleted.
    public init(docCount: Int) {
        self.docCount = docCount
        bits = [UInt8](repeating: 0, count: (docCount + 7) / 8)
    }

    /// True when `doc` is deleted.
    @inline(__always)
    public func contains(_ doc: Int) -> Bool {
        bits[doc >> 3] & (1 << UInt8(doc & 7)) != 0
    }

    /// Marks `doc` deleted.
    public mutating func insert(_ doc: Int) { bits[doc >> 3] |= 1 << UInt8(doc & 7) }

    /// Number of deleted documents.
    public var count: Int { bits.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Serialised file body.
    func body() -> ByteWriter {
        var w = ByteWriter()
        w.u32LE(UInt32(docCount))
        w.bytes(bits)
        return w
    }

    /// Parses a file body for a segment of `docCount` documents.
    init(body: UnsafeRawBufferPointer, docCount: Int, file: String) throws {
        var r = ByteReader(body, file: file)
        let n = Int(try r.u32LE())
        guard n == docCount else { throw IndexError.corrupt(file: file, detail: "tombstones cover \(n) documents, segment has \(docCount)") }
        let b = try r.bytes((n + 7) / 8)
        guard r.isAtEnd else { throw IndexError.corrupt(file: file, detail: "trailing bytes") }
        self.docCount = n
        bits = Array(b)
    }
}
