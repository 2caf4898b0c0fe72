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
    public var fileSizes: [UInt16: UInt64] {
        get { Dictionary(uniqueKeysWithValues: sortedFileSizes.map { ($0.kind, $0.size) }) }
        set { sortedFileSizes = newValue.map { FileSize(kind: $0.key, size: $0.value) }.sorted { $0.kind < $1.kind } }
    }

    /// One file's size, by `FileKind` raw value.
    public struct FileSize: Equatable, Sendable {
        /// The `FileKind` raw value.
        public var kind: UInt16
        /// Bytes.
        public var size: UInt64
    }

    /// ``fileSizes`` as stored: by kind, ascending. Not a dictionary, so that decoding a
    /// manifest (every query process does) makes no `[UInt16: UInt64]`, whose first use
    /// costs a run-time conformance lookup (`UInt16: Hashable`, a scan of every conformance
    /// record in the binary, tens of µs).
    public private(set) var sortedFileSizes: [FileSize]

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
        self.sortedFileSizes = []
        if !fileSizes.isEmpty { self.fileSizes = fileSizes }
    }

    /// Records the size of the file of kind `kind`; false (and no change) when it is already recorded.
    public mutating func addFileSize(_ size: UInt64, kind: UInt16) -> Bool {
        var i = sortedFileSizes.count
        while i > 0 && sortedFileSizes[i - 1].kind >= kind {
            if sortedFileSizes[i - 1].kind == kind { return false }
            i -= 1
        }
        sortedFileSizes.insert(FileSize(kind: kind, size: size), at: i)
        return true
    }

    /// Documents not deleted.
    public var liveDocCount: UInt32 { docCount >= deletedCount ? docCount - deletedCount : 0 }

    /// Total bytes over ``fileSizes``.
    public var totalFileSize: UInt64 { sortedFileSizes.reduce(0) { $0 &+ $1.size } }
}
