import CHints

/// A key the indexer's term hash table can hold: a term packed into fixed-width integers.
protocol PackedTermKey: Equatable, BitwiseCopyable {
    /// A value no packed key ever takes: marks empty slots.
    static var empty: Self { get }
    /// 64 bits mixing the whole key, for the multiplicative hash.
    var hashBits: UInt64 { get }
}

extension UInt32: PackedTermKey {
    /// Never a compact key: compact keys are two BMP units, and the first is never U+FFFF.
    static var empty: UInt32 { .max }
    var hashBits: UInt64 { UInt64(self) }
}

extension UInt64: PackedTermKey {
    /// Never a packed key: packed keys have bit 63 clear or kind bits and a short length below.
    static var empty: UInt64 { .max }
    var hashBits: UInt64 { self }
}

/// A term of four to seven UTF-16 units packed into 128 bits (kind, length and the first three
/// units in `high`, the rest in `low`): most Han words and letter words fit, and skip the
/// byte-string dictionary.
struct WideTermKey: PackedTermKey {
    var high: UInt64
    var low: UInt64
    static var empty: WideTermKey { WideTermKey(high: .max, low: .max) }
    var hashBits: UInt64 { high ^ (low &* 0xC2B2_AE3D_27D4_EB4F) ^ (low >> 29) }
}

/// An open-addressing hash table from packed term keys to term ids: the indexer's hottest
/// lookup (every character bigram of every document goes through it), so it avoids Swift's
/// hashed dictionaries (SipHash) for a multiplicative hash and linear probing. The tables of a
/// big segment are several MiB probed at random, so the probes are cache misses: slots are
/// kept small (8 bytes for the 32-bit keys of BMP bigrams and two-character words) and live in
/// huge-page memory (`Sys.mapAnonymous`), where they rarely miss the TLB too.
struct TermHashTable<Key: PackedTermKey> {
    /// Key and value side by side, so a probe touches one cache line.
    struct Slot { var key: Key; var value: UInt32 }
    private var slots: UnsafeMutablePointer<Slot>
    private var capacity: Int
    private var mappedBytes: Int
    private var shift: UInt64
    private(set) var count = 0

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        (slots, mappedBytes) = Self.allocate(capacity)
    }

    private static func allocate(_ capacity: Int) -> (UnsafeMutablePointer<Slot>, Int) {
        let bytes = capacity * MemoryLayout<Slot>.stride
        let p: UnsafeMutablePointer<Slot>
        var mapped = 0
        if let raw = Sys.mapAnonymous(bytes, hugePages: true) {
            p = raw.bindMemory(to: Slot.self, capacity: capacity)
            mapped = bytes
        } else {
            p = .allocate(capacity: capacity)
        }
        p.initialize(repeating: Slot(key: Key.empty, value: 0), count: capacity)
        return (p, mapped)
    }

    private static func free(_ p: UnsafeMutablePointer<Slot>, _ mapped: Int) {
        if mapped > 0 { Sys.unmapAnonymous(UnsafeMutableRawPointer(p), length: mapped) } else { p.deallocate() }
    }

    /// Frees the storage (call once).
    func deallocate() {
        Self.free(slots, mappedBytes)
    }

    /// Bytes held.
    var memoryBytes: Int { capacity * MemoryLayout<Slot>.stride }

    @inline(__always)
    private func slot(_ key: Key) -> Int {
        Int(truncatingIfNeeded: (key.hashBits &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Starts loading the slot where a probe for `key` begins, for a `find` a little later.
    @inline(__always)
    func prefetch(_ key: Key) {
        chints_prefetch(slots + slot(key))
    }

    /// The id stored for `key`, or nil.
    @inline(__always)
    func find(_ key: Key) -> UInt32? {
        var i = slot(key)
        let mask = capacity - 1
        while true {
            let k = slots[i].key
            if k == key { return slots[i].value }
            if k == Key.empty { return nil }
            i = (i + 1) & mask
        }
    }

    /// Stores `value` for a key not yet present.
    mutating func insert(_ key: Key, _ value: UInt32) {
        if (count + 1) * 4 > capacity * 3 { grow() }
        var i = slot(key)
        let mask = capacity - 1
        while slots[i].key != Key.empty { i = (i + 1) & mask }
        slots[i] = Slot(key: key, value: value)
        count += 1
    }

    private mutating func grow() {
        let old = slots, oldCap = capacity, oldMapped = mappedBytes
        capacity *= 2
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        (slots, mappedBytes) = Self.allocate(capacity)
        count = 0
        for i in 0..<oldCap where old[i].key != Key.empty { insert(old[i].key, old[i].value) }
        Self.free(old, oldMapped)
    }
}
