/// Owns a ``PostingsIterator`` (and its memory) at a stable address, and offers the same
/// operations. Hot loops take ``iterator`` and work through the pointer.
public final class PostingsCursor {
    /// The iterator, at a fixed address for the cursor's lifetime.
    public let iterator: UnsafeMutablePointer<PostingsIterator>
    private let memory: UnsafeMutableRawPointer
    /// Encoded bytes this cursor reads and owns (in-memory lists), freed with it.
    private var owned: [UnsafeMutableRawBufferPointer] = []

    /// Opens a cursor over `postings` (this term's postings) and optionally `positions` (its
    /// positions), `df` documents, each below `docLimit`. `postSlack` and `posSlack` say how many
    /// bytes past each region may be loaded (the rest of the mapped file).
    public init(postings: ByteReader, positions: ByteReader?, df: Int, maxTf: UInt32 = .max, docLimit: Int = Int(Int32.max),
                units: UnsafeRawBufferPointer? = nil, postSlack: Int = 0, posSlack: Int = 0) throws {
        memory = .allocate(byteCount: PostingsIterator.memorySize(blocks: PostingsIterator.blockCount(df: max(df, 0))), alignment: 8)
        do {
            let it = try PostingsIterator(post: postings, pos: positions, df: df, maxTf: maxTf, docLimit: docLimit,
                                          units: units, postSlack: postSlack, posSlack: posSlack, memory: memory)
            iterator = .allocate(capacity: 1)
            iterator.initialize(to: it)
        } catch {
            memory.deallocate()
            throw error
        }
    }

    /// A cursor over postings encoded in memory (see ``PostingsEncoder``): the bytes are copied
    /// and owned by the cursor.
    convenience init(encoded post: [UInt8], positions pos: [UInt8], df: Int, maxTf: UInt32, docLimit: Int,
                     units: UnsafeRawBufferPointer) throws {
        func copy(_ a: [UInt8]) -> UnsafeMutableRawBufferPointer {
            let m = UnsafeMutableRawBufferPointer.allocate(byteCount: max(a.count, 1), alignment: 8)
            a.withUnsafeBytes { if let b = $0.baseAddress { m.baseAddress!.copyMemory(from: b, byteCount: a.count) } }
            return m
        }
        let pm = copy(post), qm = copy(pos)
        do {
            try self.init(postings: ByteReader(UnsafeRawBufferPointer(rebasing: pm[0..<post.count]), file: "(merged postings)"),
                          positions: ByteReader(UnsafeRawBufferPointer(rebasing: qm[0..<pos.count]), file: "(merged positions)"),
                          df: df, maxTf: maxTf, docLimit: docLimit, units: units)
        } catch {
            pm.deallocate()
            qm.deallocate()
            throw error
        }
        owned = [pm, qm]
    }

    deinit {
        for m in owned { m.deallocate() }
        iterator.pointee.posBuf?.deallocate()
        iterator.deinitialize(count: 1)
        iterator.deallocate()
        memory.deallocate()
    }

    /// The current document (segment-local), or `Int32.max` when exhausted.
    public var doc: Int32 { iterator.pointee.doc }
    /// The term frequency in the current document.
    public var tf: UInt32 { iterator.pointee.tf }
    /// Number of documents in the list.
    public var df: Int { iterator.pointee.df }
    /// Number of blocks.
    public var blockCount: Int { iterator.pointee.blockCount }
    /// True when exhausted.
    public var isExhausted: Bool { iterator.pointee.isExhausted }

    /// Moves to the next document.
    public func next() throws { try iterator.pointee.next() }
    /// Moves to the first document ≥ `target`.
    public func advance(to target: Int32) throws { try iterator.pointee.advance(to: target) }
    /// The last document of block `i`.
    public func blockLastDoc(_ i: Int) -> Int32 { iterator.pointee.blockLastDoc(i) }
    /// Bounds of block `i`: its largest tf and smallest document length.
    public func blockBounds(_ i: Int) -> (maxTf: UInt32, minLength: UInt32) { iterator.pointee.blockBounds(i) }

    /// The current document's positions, copied into `out` (cleared first).
    public func positions(into out: inout [UInt32]) throws {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: try iterator.pointee.positions())
    }
}
