// Term dictionary (.terms): the sorted term keys of a segment with where their postings are.
//
//   body       := block{blockCount} indexKeys indexTable trailer
//   block      := postStart:varint posStart:varint count:varint entry{count}
//   entry      := lens:u8 [shared - 15:varint] [suffixLen - 15:varint] suffix:u8{suffixLen}
//                 df:varint postLen:varint [posLen:varint] [maxTf:varint]
//                 key = prev[0..<shared] + suffix; lens = min(shared, 15) << 4 | min(suffixLen, 15),
//                 a nibble of 15 meaning the rest follows as a varint; posLen only for keys that
//                 are not 'W' words (words have no positions); maxTf only when df > 1 (with one
//                 document it is unknown here: readers take UInt32.max, a safe bound)
//                 (a term's postings start where the previous term's end: postStart + Σ postLen)
//   indexKeys  := (keyLen:varint key){blockCount}            the first key of every block
//   indexTable := (blockOffset:u32le keyOffset:u32le){blockCount}   from the start of body
//   trailer    := termCount:u64le blockCount:u32le indexTableStart:u64le
//
// Blocks hold up to 32 terms. A lookup binary-searches the index table (straight from the
// mapped bytes), then scans one block; opening the file reads only the trailer.

/// Terms per dictionary block.
let termsPerBlock = 32

/// Where a term's postings are, and how many documents it has.
public struct TermInfo: Sendable, Equatable {
    /// Documents containing the term (deleted ones included).
    public var df: Int
    /// Offset of the term's postings in .post.
    public var postOffset: Int
    /// Length of the term's postings.
    public var postLength: Int
    /// Offset of its positions in .pos.
    public var posOffset: Int
    /// Length of its positions (0: none).
    public var posLength: Int
    /// Largest tf over the list.
    public var maxTf: UInt32
    /// Whether the term has positions ('B' and 'T' terms; not 'W'), known from its key. Such a
    /// term may still have no position bytes (`posLength` 0): when every document in its list
    /// has one matching unit, each position is 0 and takes no bits.
    public var hasPositions: Bool

    /// Creates a term's record.
    public init(df: Int, postOffset: Int, postLength: Int, posOffset: Int, posLength: Int, maxTf: UInt32, hasPositions: Bool) {
        self.df = df; self.postOffset = postOffset; self.postLength = postLength
        self.posOffset = posOffset; self.posLength = posLength; self.maxTf = maxTf; self.hasPositions = hasPositions
    }
}

/// Writes a term dictionary, term by term in key order.
struct TermDictionaryWriter {
    private var out = ByteWriter()
    private var block = ByteWriter()
    private var inBlock = 0
    private var prevKey: [UInt8] = []
    private var firstKeys: [[UInt8]] = []
    private var blockOffsets: [UInt32] = []
    private(set) var termCount = 0
    private var postEnd = 0
    private var posEnd = 0

    mutating func add(key: [UInt8], info: TermInfo) {
        key.withUnsafeBufferPointer { add(key: $0, info: info) }
    }

    /// Adds the next term (keys in increasing order); the key is copied.
    mutating func add(key: UnsafeBufferPointer<UInt8>, info: TermInfo) {
        if inBlock == 0 {
            blockOffsets.append(UInt32(out.buffer.count))
            firstKeys.append(Array(key))
            out.varint(UInt64(info.postOffset))
            out.varint(UInt64(info.posOffset))
            prevKey.removeAll(keepingCapacity: true)
        }
        var shared = 0
        prevKey.withUnsafeBufferPointer { prev in
            let m = min(prev.count, key.count)
            while shared < m && prev[shared] == key[shared] { shared += 1 }
        }
        let suffixLen = key.count - shared
        block.u8(UInt8(min(shared, 15) << 4 | min(suffixLen, 15)))
        if shared >= 15 { block.varint(UInt64(shared - 15)) }
        if suffixLen >= 15 { block.varint(UInt64(suffixLen - 15)) }
        block.bytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(key)[shared...]))
        block.varint(UInt64(info.df))
        block.varint(UInt64(info.postLength))
        if key.first != TermKind.word.rawValue {
            block.varint(UInt64(info.posLength))
        } else {
            precondition(info.posLength == 0, "words have no positions")
        }
        if info.df > 1 { block.varint(UInt64(info.maxTf)) }
        prevKey.removeAll(keepingCapacity: true)
        prevKey.append(contentsOf: key)
        inBlock += 1
        termCount += 1
        if inBlock == termsPerBlock { closeBlock() }
    }

    private mutating func closeBlock() {
        guard inBlock > 0 else { return }
        out.varint(UInt64(inBlock))
        out.bytes(block.buffer)
        block.buffer.removeAll(keepingCapacity: true)
        inBlock = 0
    }

    mutating func write(to sink: FileSink) throws {
        closeBlock()
        var keyOffsets = [UInt32]()
        for k in firstKeys {
            keyOffsets.append(UInt32(out.buffer.count))
            out.lengthPrefixed(k)
        }
        let tableStart = UInt64(out.buffer.count)
        for (b, k) in zip(blockOffsets, keyOffsets) { out.u32LE(b); out.u32LE(k) }
        out.u64LE(UInt64(termCount))
        out.u32LE(UInt32(firstKeys.count))
        out.u64LE(tableStart)
        try sink.write(out)
    }
}

/// Reads a mapped term dictionary.
public final class TermDictionaryReader {
    let body: UnsafeRawBufferPointer
    let file: String
    /// Number of terms.
    public let termCount: Int
    let blockCount: Int
    let tableStart: Int

    init(body: UnsafeRawBufferPointer, file: String) throws {
        self.body = body
        self.file = file
        guard body.count >= 20 else { throw IndexError.corrupt(file: file, detail: "term dictionary too short") }
        var r = ByteReader(body, file: file)
        try r.seek(to: body.count - 20)
        let tc = try r.u64LE()
        blockCount = Int(try r.u32LE())
        let ts = try r.u64LE()
        guard ts <= UInt64(body.count - 20), UInt64(body.count - 20) - ts == UInt64(blockCount) * 8,
              tc <= UInt64(blockCount) * UInt64(termsPerBlock) else {
            throw IndexError.corrupt(file: file, detail: "term dictionary layout out of range")
        }
        termCount = Int(tc)
        tableStart = Int(ts)
    }

    /// Block `b`'s offset and first key, read straight from the mapped index table (no reader
    /// is made, so the binary search retains nothing).
    private func blockEntry(_ b: Int) throws -> (blockOffset: Int, key: UnsafeRawBufferPointer) {
        let at = tableStart &+ b &* 8
        let bo = Int(UInt32(littleEndian: body.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        let ko = Int(UInt32(littleEndian: body.loadUnaligned(fromByteOffset: at &+ 4, as: UInt32.self)))
        guard bo < tableStart, ko < tableStart else { throw IndexError.corrupt(file: file, detail: "block index out of range") }
        // keyLen:varint key, within the index keys (which end where the table starts).
        var p = ko, len = 0, shift = 0
        while true {
            guard p < tableStart, shift < 28 else { throw IndexError.corrupt(file: file, detail: "bad block key length") }
            let byte = body[p]
            p &+= 1
            len |= Int(byte & 0x7f) &<< shift
            if byte < 0x80 { break }
            shift &+= 7
        }
        guard len <= tableStart &- p else { throw IndexError.corrupt(file: file, detail: "block key runs past the index") }
        return (bo, UnsafeRawBufferPointer(rebasing: body[p ..< p &+ len]))
    }

    /// The last block whose first key is ≤ `key` (nil if `key` sorts before every term).
    private func block(for key: UnsafeRawBufferPointer) throws -> Int? {
        var lo = 0, hi = blockCount  // find first block with firstKey > key
        while lo < hi {
            let mid = (lo &+ hi) &>> 1
            if compare(try blockEntry(mid).key, key) <= 0 { lo = mid &+ 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo &- 1
    }

    /// The term `key`, or nil when the segment lacks it.
    public func lookup(_ key: [UInt8]) throws -> TermInfo? {
        try key.withUnsafeBytes { try lookup(bytes: $0) }
    }

    /// The term whose key is `key`'s bytes, or nil when the segment lacks it. Allocation-free:
    /// the block is found by binary search over the mapped index, then scanned without
    /// rebuilding keys. `matched` counts the leading bytes the current key shares with `key`;
    /// keys increase, so an entry sharing fewer bytes with its predecessor than that is past
    /// `key`, and one sharing more is still before it.
    public func lookup(bytes key: UnsafeRawBufferPointer) throws -> TermInfo? {
        guard let b = try block(for: key) else { return nil }
        var r = ByteReader(body, file: file)
        try r.seek(to: try blockEntry(b).blockOffset)
        var postOffset = try r.varintInt()
        var posOffset = try r.varintInt()
        let count = try r.varintInt()
        guard count > 0, count <= termsPerBlock else { throw r.corrupt("bad term block size \(count)") }
        var matched = 0     // leading bytes of the current key equal to key's
        var keyLength = 0   // length of the current key
        var kind = -1       // the current key's first byte (words have no positions)
        for i in 0..<count {
            let lens = Int(try r.u8())
            var shared = lens &>> 4, suffixLen = lens & 15
            if shared == 15 { shared &+= try r.varintInt() }
            if suffixLen == 15 { suffixLen &+= try r.varintInt() }
            guard shared <= keyLength, i > 0 || shared == 0 else { throw r.corrupt("bad shared prefix \(shared)") }
            let suffix = try r.bytes(suffixLen)
            keyLength = shared &+ suffixLen
            if shared == 0 { kind = suffixLen > 0 ? Int(suffix[0]) : -1 }
            // Where this key stands against `key`: -1 before, 0 equal, 1 after.
            var order = -1
            if shared < matched {
                order = 1
            } else if shared == matched {
                var j = 0
                while j < suffixLen && matched < key.count && suffix[j] == key[matched] { j &+= 1; matched &+= 1 }
                if j < suffixLen {
                    order = matched < key.count && suffix[j] < key[matched] ? -1 : 1
                } else {
                    order = matched == key.count ? 0 : -1
                }
            }
            let df = try r.varintInt()
            let pl = try r.varintInt()
            let positional = kind != Int(TermKind.word.rawValue)
            let ql = positional ? try r.varintInt() : 0
            guard df > 0 else { throw r.corrupt("term with no documents") }
            let maxTf = df > 1 ? try r.varint32() : UInt32.max
            if order == 0 {
                return TermInfo(df: df, postOffset: postOffset, postLength: pl, posOffset: posOffset, posLength: ql, maxTf: maxTf,
                                hasPositions: positional)
            }
            if order > 0 { return nil }
            postOffset &+= pl
            posOffset &+= ql
        }
        return nil
    }

    /// All terms whose key starts with `prefix`, in order.
    public func prefixScan(_ prefix: [UInt8], _ body: ([UInt8], TermInfo) throws -> Void) throws {
        var c: TermCursor
        if let b = try prefix.withUnsafeBytes({ try block(for: $0) }) { c = try TermCursor(dict: self, block: b) } else if blockCount > 0 {
            c = try TermCursor(dict: self, block: 0)
        } else { return }
        while let (k, info) = try c.next() {
            if k.starts(with: prefix) { try body(k, info) } else if compare(k, prefix) > 0 { return }
        }
    }

    /// A cursor over every term in order.
    public func cursor() throws -> TermCursor? {
        blockCount == 0 ? nil : try TermCursor(dict: self, block: 0)
    }

    @inline(__always)
    func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        var i = 0
        while i < n {
            let x = a[i], y = b[i]
            if x != y { return x < y ? -1 : 1 }
            i &+= 1
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBytes { a in b.withUnsafeBytes { compare(a, $0) } }
    }

    /// Iterates terms from the start of a block onwards, across blocks.
    public struct TermCursor {
        let dict: TermDictionaryReader
        var block: Int
        var r: ByteReader
        var remaining = 0
        var key: [UInt8] = []
        var postOffset = 0
        var posOffset = 0

        init(dict: TermDictionaryReader, block: Int) throws {
            self.dict = dict
            self.block = block - 1
            r = ByteReader(dict.body, file: dict.file)
            try enter(block)
        }

        private mutating func enter(_ b: Int) throws {
            block = b
            let (off, _) = try dict.blockEntry(b)
            try r.seek(to: off)
            postOffset = try r.varintInt()
            posOffset = try r.varintInt()
            remaining = try r.varintInt()
            guard remaining > 0, remaining <= termsPerBlock else { throw r.corrupt("bad term block size \(remaining)") }
            key = []
        }

        /// The next term and its info, or nil at the end.
        public mutating func next() throws -> ([UInt8], TermInfo)? {
            if remaining == 0 {
                if block + 1 >= dict.blockCount { return nil }
                try enter(block + 1)
            }
            let lens = Int(try r.u8())
            var shared = lens >> 4, suffixLen = lens & 15
            if shared == 15 { shared += try r.varintInt() }
            if suffixLen == 15 { suffixLen += try r.varintInt() }
            guard shared <= key.count else { throw r.corrupt("bad shared prefix \(shared)") }
            let suffix = try r.bytes(suffixLen)
            key.removeLast(key.count - shared)
            key.append(contentsOf: suffix)
            let df = try r.varintInt()
            let pl = try r.varintInt()
            let positional = key.first != TermKind.word.rawValue
            let ql = positional ? try r.varintInt() : 0
            guard df > 0 else { throw r.corrupt("term with no documents") }
            let maxTf = df > 1 ? try r.varint32() : UInt32.max
            let info = TermInfo(df: df, postOffset: postOffset, postLength: pl, posOffset: posOffset, posLength: ql, maxTf: maxTf,
                                hasPositions: positional)
            postOffset += pl
            posOffset += ql
            remaining -= 1
            return (key, info)
        }
    }
}
