/// An open-addressing hash table from packed 64-bit term keys to term ids: the indexer's
/// hottest lookup (every character bigram of every document goes through it), so it avoids
/// Swift's hashed dictionaries (SipHash) for a multiplicative hash and linear probing.
struct TermHashTable {
    /// Key and value side by side, so a probe touches one cache line.
    struct Slot { var key: UInt64; var value: UInt32 }
    private var slots: UnsafeMutablePointer<Slot>
    private var capacity: Int
    private var shift: UInt64
    private(set) var count = 0
    private static let empty = UInt64.max  // never a packed key (packed keys have bit 63 clear or kind bits set below)

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(key: Self.empty, value: 0), count: capacity)
    }

    /// Frees the storage (call once).
    func deallocate() {
        slots.deallocate()
    }

    /// Bytes held.
    var memoryBytes: Int { capacity * MemoryLayout<Slot>.stride }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The id stored for `key`, or nil.
    @inline(__always)
    func find(_ key: UInt64) -> UInt32? {
        var i = slot(key)
        let mask = capacity - 1
        while true {
            let k = slots[i].key
            if k == key { return slots[i].value }
            if k == Self.empty { return nil }
            i = (i + 1) & mask
        }
    }

    /// Stores `value` for a key not yet present.
    mutating func insert(_ key: UInt64, _ value: UInt32) {
        if (count + 1) * 4 > capacity * 3 { grow() }
        var i = slot(key)
        let mask = capacity - 1
        while slots[i].key != Self.empty { i = (i + 1) & mask }
        slots[i] = Slot(key: key, value: value)
        count += 1
    }

    private mutating func grow() {
        let old = slots, oldCap = capacity
        capacity *= 2
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(key: Self.empty, value: 0), count: capacity)
        count = 0
        for i in 0..<oldCap where old[i].key != Self.empty { insert(old[i].key, old[i].value) }
        old.deallocate()
    }
}
