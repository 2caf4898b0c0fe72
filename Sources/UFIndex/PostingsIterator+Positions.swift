// Positions of a postings list: decoding one block's Rice-coded stream (grammar in
// PostingsFormat.swift) as far as a document asks, with the skip marks.

extension PostingsIterator {
    /// The current document's positions (empty for terms without positions). Valid until the
    /// iterator moves to another block. A block's positions are decoded as far as needed,
    /// jumping over runs of 8 documents by the block's skip marks when it has them.
    @inline(__always)
    public mutating func positions() throws -> UnsafeBufferPointer<UInt32> {
        guard pos != nil, doc >= 0, doc != Int32.max else { return UnsafeBufferPointer(start: nil, count: 0) }
        if posBlock != block { try beginPositions() }
        if posMarkCount > 0 && index >= posDecoded + positionSkipInterval { try jump() }
        while posDecoded <= index { try decodeNextPositions() }
        return UnsafeBufferPointer(start: posBuf! + posIndex[index], count: posIndex[index &+ 1] &- posIndex[index])
    }

    private func badPositions(_ what: String) -> IndexError {
        .corrupt(file: posFile, detail: "positions of block \(block): \(what)")
    }

    /// Checks the current block's positions header and prepares to decode its stream.
    private mutating func beginPositions() throws {
        guard let base = pos else { return }
        let b = block, n = count
        let start = posStarts[b], end = posStarts[b + 1]
        var total = 0
        for k in 0..<n {
            posIndex[k] = total
            total &+= Int(tfs[k])
        }
        posIndex[n] = total
        let chunks = (total - n + postingsBlockSize - 1) / postingsBlockSize
        let marks = total >= positionSkipMinimum ? (n - 1) / positionSkipInterval : 0
        let markWidth = end - start < positionMarkNarrowLimit ? 2 : 4
        let streamAt = start + chunks + markWidth * marks
        // Every gap takes at least one bit: check that before allocating anything.
        guard streamAt <= end, total - n <= (end - streamAt) * 8 else { throw badPositions("\(total) positions in \(end - start) bytes") }
        for c in 0..<chunks {
            let k = base.load(fromByteOffset: start + c, as: UInt8.self)
            guard k <= 31 else { throw badPositions("bad Rice parameter \(k)") }
        }
        guard units != nil, docs[n - 1] >= 0, (Int(docs[n - 1]) + 1) * 4 <= unitsBytes else {
            throw badPositions("no unit count for document \(docs[n - 1])")
        }
        if posCap < total {
            posBuf?.deallocate()
            posCap = max(total, 2 * posCap, 256)
            posBuf = .allocate(capacity: posCap)
        }
        posKs = start
        posMarksAt = start + chunks
        posMarkCount = marks
        posMarkWidth = markWidth
        posStreamBit = streamAt * 8
        posBit = posStreamBit
        posEndBit = end * 8
        gapIndex = 0
        posDecoded = 0
        posBlock = b
    }

    /// Skip mark `j` (1-based): the stream bit offset of document 16 × j.
    @inline(__always) private func mark(_ j: Int, _ base: UnsafeRawPointer) -> Int {
        posMarkWidth == 2
            ? Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: posMarksAt + 2 * (j - 1), as: UInt16.self)))
            : Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: posMarksAt + 4 * (j - 1), as: UInt32.self)))
    }

    /// Moves the decoder to the last skip mark at or before the current document.
    private mutating func jump() throws {
        guard let base = pos else { return }
        let j = min(index / positionSkipInterval, posMarkCount)
        let d = j * positionSkipInterval
        guard j >= 1, d > posDecoded else { return }
        let mark = mark(j, base)
        guard posStreamBit + mark <= posEndBit else { throw badPositions("skip mark past the stream") }
        posBit = posStreamBit + mark
        posDecoded = d
        gapIndex = posIndex[d] - d
    }

    /// Decodes the positions of the next document of the block: its first position, then its gaps.
    private mutating func decodeNextPositions() throws {
        guard let base = pos, let out = posBuf, let unitTable = units else { return }
        let d = posDecoded
        if posMarkCount > 0 && d > 0 && d % positionSkipInterval == 0 && d / positionSkipInterval <= posMarkCount {
            // Reached in sequence: the skip mark must say the same (so `check` validates marks).
            let j = d / positionSkipInterval
            guard posStreamBit + mark(j, base) == posBit else { throw badPositions("skip mark \(j) disagrees with the stream") }
        }
        var w = posIndex[d]
        let e = posIndex[d + 1]
        if w < e {
            var bits = RiceReader(base: base, readable: posReadable, bit: posBit, endBit: posEndBit)
            var g = gapIndex
            do {
                let u = UInt32(littleEndian: unitTable.loadUnaligned(fromByteOffset: Int(docs[d]) &* 4, as: UInt32.self))
                let tf = tfs[d]
                var p = tf == 1 ? bits.truncated(over: u) : try bits.next(k: Rice.firstParameter(units: u, tf: tf))
                out[w] = p
                w &+= 1
                while w < e {
                    // A run of gaps sharing one parameter: the rest of the document or of the chunk.
                    let k = Int(base.load(fromByteOffset: posKs &+ (g &>> 7), as: UInt8.self))
                    let run = min(e &- w, postingsBlockSize &- (g & (postingsBlockSize &- 1)))
                    p = try bits.gaps(run, k: k, from: p, into: out + w)
                    w &+= run
                    g &+= run
                }
            } catch {
                throw badPositions("Rice code runs past the block")
            }
            guard bits.bit <= posEndBit else { throw badPositions("Rice code runs past the block") }
            posBit = bits.bit
            gapIndex = g
        }
        posDecoded = d + 1
        if posDecoded == count && posEndBit - posBit >= 8 { throw badPositions("bit stream longer than its values") }
    }
}
