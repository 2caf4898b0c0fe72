/// One segment as recorded in a ``Manifest`` (byte layout: `segment` in Manifest.swift).
public struct SegmentEntry: Equatable, Sendable {
    /// Segment id; its files are `seg-<id as 16 hex digits>.<ext>`.
    public var id: UInt64
    /// Documents in the segment, including deleted ones (local doc ids are `0..<docCount`).
    public var docCount: UInt32
    /// Number of tombstoned (deleted) documents; at most `docCount`.
    public var deletedCount: UInt32
    /// 0 when the segment has no tombstone file; otherwise its file is `seg-<id>-<delGeneration>.del`.
    public var delGeneration: UInt64
    /// Sum of document lengths (ICU words) over live documents, for BM25's average length.
    public var liveTokenCount: UInt64
    /// Sizes of the segment's files in bytes, keyed by `FileKind` raw value (for stats).
    public var fileSizes: [UInt16: UInt64]

    /// Creates a segment entry.
    public init(
        id: UInt64, docCount: UInt32, deletedCount: UInt32 = 0, delGeneration: UInt64 = 0,
        liveTokenCount: UInt64 = 0, fileSizes: [UInt16: UInt64] = [:]
    ) {
        self.id = id
        self.docCount = docCount
        self.deletedCount = deletedCount
        self.delGeneration = delGeneration
        self.liveTokenCount = liveTokenCount
        self.fileSizes = fileSizes
    }

    /// Documents not deleted.
    public var liveDocCount: UInt32 { docCount >= deletedCount ? docCount - deletedCount : 0 }

    /// Total bytes over ``fileSizes``.
    public var totalFileSize: UInt64 { fileSizes.values.reduce(0, &+) }
}
