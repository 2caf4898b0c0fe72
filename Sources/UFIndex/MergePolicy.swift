/// A tiered merge policy: segments are grouped into tiers by size (each tier `tierFactor`
/// times larger than the one below, the lowest holding everything under `floorBytes`);
/// when a tier holds `segmentsPerTier` segments, they are merged into one. A segment whose
/// deleted documents pass `maxDeletedRatio` is rewritten on its own.
public struct MergePolicy: Sendable {
    /// Segments in one tier before they are merged.
    public var segmentsPerTier = 8
    /// Size ratio between tiers.
    public var tierFactor = 8.0
    /// Segments smaller than this share the lowest tier.
    public var floorBytes: UInt64 = 4 << 20
    /// Rewrite a segment when this share of its documents is deleted.
    public var maxDeletedRatio = 0.4

    /// Defaults.
    public init() {}

    /// The live size of a segment: its files scaled by its live share of documents.
    func liveBytes(_ s: SegmentEntry) -> Double {
        guard s.docCount > 0 else { return 0 }
        return Double(s.totalFileSize) * Double(s.liveDocCount) / Double(s.docCount)
    }

    /// The indices (in manifest order) of segments to merge next, or nil when none need it.
    public func pick(_ segments: [SegmentEntry]) -> [Int]? {
        var tiers = [Int: [Int]]()
        for (i, s) in segments.enumerated() {
            if s.docCount > 0 && Double(s.deletedCount) / Double(s.docCount) > maxDeletedRatio && s.liveDocCount > 0 {
                return [i]
            }
            let size = max(liveBytes(s), Double(floorBytes))
            let tier = Int((log(size / Double(floorBytes)) / log(tierFactor)).rounded(.down))
            tiers[tier, default: []].append(i)
        }
        for t in tiers.keys.sorted() {
            if let g = tiers[t], g.count >= segmentsPerTier { return g }
        }
        return nil
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
