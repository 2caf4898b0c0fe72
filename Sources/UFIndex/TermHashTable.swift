/// An open-addressing hash table from packed 64-bit term keys to term ids: the indexer's
/// hottest lookup (every character bigram of every document goes through it), so it avoids
/// Swift's hashed dictionaries (SipHash) for a multiplicative hash and linear probing.
struct TermHashTable {
    private var keys: UnsafeMutablePointer<UInt64>
    private var values: UnsafeMutablePointer<UInt32>
    private var capacity: Int
    private var shift: UInt64
    private(set) var count = 0
    private static let empty = UInt64.max  // never a packed key (packed keys have bit 63 clear or kind bits set below)

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: Self.empty, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: 0, count: capacity)
    }

    /// Frees the storage (call once).
    func deallocate() {
        keys.deallocate()
        values.deallocate()
    }

    /// Bytes held.
    var memoryBytes: Int { capacity * 12 }

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
            let k = keys[i]
            if k == key { return values[i] }
            if k == Self.empty { return nil }
            i = (i + 1) & mask
        }
    }

    /// Stores `value` for a key not yet present.
    mutating func insert(_ key: UInt64, _ value: UInt32) {
        if (count + 1) * 4 > capacity * 3 { grow() }
        var i = slot(key)
        let mask = capacity - 1
        while keys[i] != Self.empty { i = (i + 1) & mask }
        keys[i] = key
        values[i] = value
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values, oldCap = capacity
        capacity *= 2
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: Self.empty, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: 0, count: capacity)
        count = 0
        for i in 0..<oldCap where oldKeys[i] != Self.empty { insert(oldKeys[i], oldValues[i]) }
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}
