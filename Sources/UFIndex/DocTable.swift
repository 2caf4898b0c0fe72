// Document table (.docs): per-document lengths for BM25 and metadata records.
//
//   body     := lengths units records offsets trailer
//   lengths  := length:u32le{docCount}            ICU word tokens per document (BM25 dl)
//   units    := unitCount:u32le{docCount}         matching units per document (positions are below it)
//   records  := record{docCount}
//   record   := path:str title:str size:varint mtime:i64le hash:u64le year:u16le encoding:u8
//               storeBlock:varint storeOffset:varint [anchors]
//   anchors  := anchorCount:varint (unitDelta:varint byteDelta:varint){anchorCount}
//               present only when the document has anchors (UTF-8 documents of more than
//               2 × 2048 units): each anchor's unit position and original byte offset minus the
//               previous anchor's (the first: minus 0); both strictly increase, units below the
//               document's unit count, bytes below its size. A record ends where the next one
//               starts (the last: at offsets).
//               mtime is the file's modification time in ns since the epoch, or i64 min when the
//               file was read within a second of its last change (a sync then compares content).
//               path is the document's key (DocumentPath.swift): relative to the folder that
//               holds the index when the file lies under it, else absolute; lexically clean.
//   str      := byteLength:varint utf8-bytes
//   offsets  := recordOffset:u32le{docCount}      from the start of records
//   trailer  := docCount:u32le recordsStart:u64le offsetsStart:u64le
//
// Lengths come first and fixed-width, so scoring reads a document's length with one load.
// Anchors (`UnitAnchor`) let the snippets of a match deep in a long document decode and
// normalise only the region around it.

import UFAnalysis

/// Writes a document table.
enum DocTableWriter {
    static func write(docs: [DocumentInfo], locations: [(block: UInt32, offset: UInt32)], to sink: FileSink) throws {
        var w = ByteWriter()
        for d in docs { w.u32LE(d.length) }
        for d in docs { w.u32LE(d.units) }
        let recordsStart = UInt64(w.buffer.count)
        var offsets = [UInt32]()
        offsets.reserveCapacity(docs.count)
        var rec = ByteWriter()
        for (i, d) in docs.enumerated() {
            offsets.append(UInt32(rec.buffer.count))
            rec.lengthPrefixed(Array(d.path.utf8))
            rec.lengthPrefixed(Array(d.title.utf8))
            rec.varint(d.size)
            rec.i64LE(d.mtimeNanos)
            rec.u64LE(d.hash)
            rec.u16LE(d.year)
            rec.u8(d.encoding.rawValue)
            rec.varint(UInt64(locations[i].block))
            rec.varint(UInt64(locations[i].offset))
            if !d.anchors.isEmpty {
                rec.varint(UInt64(d.anchors.count))
                var prev = UnitAnchor(unit: 0, byte: 0)
                for a in d.anchors {
                    rec.varint(UInt64(a.unit - prev.unit))
                    rec.varint(UInt64(a.byte - prev.byte))
                    prev = a
                }
            }
        }
        w.bytes(rec.buffer)
        let offsetsStart = UInt64(w.buffer.count)
        for o in offsets { w.u32LE(o) }
        w.u32LE(UInt32(docs.count))
        w.u64LE(recordsStart)
        w.u64LE(offsetsStart)
        try sink.write(w)
    }
}

/// Reads a mapped document table.
public struct DocTableReader {
    let body: UnsafeRawBufferPointer
    let file: String
    /// Documents in the segment.
    public let count: Int
    let recordsStart: Int
    let offsetsStart: Int
    /// Every document's length (ICU words), u32le each.
    public let lengths: UnsafeRawBufferPointer
    /// Every document's number of matching units, u32le each.
    public let units: UnsafeRawBufferPointer

    init(body: UnsafeRawBufferPointer, file: String) throws {
        self.body = body
        self.file = file
        guard body.count >= 20 else { throw IndexError.corrupt(file: file, detail: "document table too short") }
        var r = ByteReader(body, file: file)
        try r.seek(to: body.count - 20)
        count = Int(try r.u32LE())
        let rs = try r.u64LE(), os = try r.u64LE()
        guard rs == UInt64(count) * 8, os >= rs, os <= UInt64(body.count - 20),
              UInt64(body.count - 20) - os == UInt64(count) * 4 else {
            throw IndexError.corrupt(file: file, detail: "document table layout out of range")
        }
        recordsStart = Int(rs)
        offsetsStart = Int(os)
        lengths = UnsafeRawBufferPointer(rebasing: body[0..<count * 4])
        units = UnsafeRawBufferPointer(rebasing: body[count * 4..<count * 8])
    }

    /// The number of matching units of local document `doc`; the caller guarantees `doc < count`.
    @inline(__always)
    public func unitCount(_ doc: Int) -> UInt32 {
        units.loadUnaligned(fromByteOffset: doc * 4, as: UInt32.self).littleEndian
    }

    /// The length (ICU words) of local document `doc`; the caller guarantees `doc < count`.
    @inline(__always)
    public func length(_ doc: Int) -> UInt32 {
        lengths.loadUnaligned(fromByteOffset: doc * 4, as: UInt32.self).littleEndian
    }

    /// A reader over the record of local document `doc` (just its bytes).
    private func record(_ doc: Int) throws -> ByteReader {
        guard doc >= 0 && doc < count else { throw IndexError.corrupt(file: file, detail: "doc \(doc) out of range") }
        var r = ByteReader(body, file: file)
        try r.seek(to: offsetsStart + doc * 4)
        let off = Int(try r.u32LE())
        let end = doc + 1 < count ? Int(try r.u32LE()) : offsetsStart - recordsStart
        guard off < end, end <= offsetsStart - recordsStart else { throw IndexError.corrupt(file: file, detail: "record offset out of range") }
        return try r.sub(offset: recordsStart + off, length: end - off)
    }

    /// The UTF-8 bytes of local document `doc`'s path and title (views of the mapping) and its
    /// year, without decoding the rest of its record: what the query filters look at.
    public func filterFields(_ doc: Int) throws -> (path: UnsafeRawBufferPointer, title: UnsafeRawBufferPointer, year: UInt16) {
        var rec = try record(doc)
        let path = try rec.lengthPrefixed()
        let title = try rec.lengthPrefixed()
        _ = try rec.varint()
        try rec.skip(16)  // mtime, hash
        return (path, title, try rec.u16LE())
    }

    /// The metadata of local document `doc` and its store location.
    public func info(_ doc: Int) throws -> (DocumentInfo, block: UInt32, offset: UInt32) {
        var rec = try record(doc)
        let path = String(decoding: try rec.lengthPrefixed(), as: UTF8.self)
        let title = String(decoding: try rec.lengthPrefixed(), as: UTF8.self)
        let size = try rec.varint()
        let mtime = try rec.i64LE()
        let hash = try rec.u64LE()
        let year = try rec.u16LE()
        guard let enc = SourceEncoding(rawValue: try rec.u8()) else { throw IndexError.corrupt(file: file, detail: "bad encoding byte") }
        let block = try rec.varint32()
        let offset = try rec.varint32()
        var info = DocumentInfo(path: path, title: title, size: size, mtimeNanos: mtime, hash: hash, year: year,
                                encoding: enc, length: length(doc), units: unitCount(doc))
        if !rec.isAtEnd { info.anchors = try anchors(&rec, units: info.units, size: size) }
        return (info, block, offset)
    }

    /// The anchors at the end of a record (see the grammar above), checked.
    private func anchors(_ rec: inout ByteReader, units: UInt32, size: UInt64) throws -> [UnitAnchor] {
        let n = try rec.varintInt()
        // Each anchor takes at least two bytes.
        guard n > 0, n <= rec.remaining / 2 else { throw IndexError.corrupt(file: file, detail: "bad anchor count \(n)") }
        var out = [UnitAnchor]()
        out.reserveCapacity(n)
        var unit: UInt64 = 0, byte: UInt64 = 0
        for _ in 0..<n {
            let du = try rec.varint(), db = try rec.varint()
            // Each strictly after the previous one, and inside the document (no overflow: unit < units, byte < size).
            guard du > 0, db > 0, du < UInt64(units) - unit, db < size - byte else {
                throw IndexError.corrupt(file: file, detail: "anchor \(out.count) out of order or out of range")
            }
            unit += du; byte += db
            out.append(UnitAnchor(unit: UInt32(unit), byte: UInt32(byte)))
        }
        guard rec.isAtEnd else { throw IndexError.corrupt(file: file, detail: "\(rec.remaining) stray bytes after a record") }
        return out
    }
}
