// Common footer of every index file.
//
// Every file in an index directory (manifest, segment files, tombstones) ends with the same
// fixed 24-byte footer, so a reader can identify and bounds-check a file from its last bytes
// without parsing the body. All integers are little-endian.
//
//   file    := body footer
//   footer  := bodyLength:u64le crc32(body):u32le kind:u16le version:u16le reserved:u32le(0) magic:"UFS1"
//
//   bodyLength   number of bytes before the footer; must equal fileSize - 24
//   crc32(body)  zlib CRC-32 of the body bytes
//   kind         FileKind raw value: 1 manifest, 2 terms, 3 postings, 4 positions, 5 docs,
//                6 store, 7 tombstones
//   version      format version of that kind; this build writes and reads 3 for positions
//                (Rice-coded, a skip mark every 8 documents) and store files (small blocks
//                with dictionaries, a large document split across blocks), 2 for postings
//                (bit-packed blocks), document tables (unit counts) and term dictionaries
//                (letter and number words cut at punctuation), 1 for every other kind
//   reserved     must be 0
//   magic        the four ASCII bytes "UFS1" (0x55 0x46 0x53 0x31), the last bytes of the file
//
// Validation order: size >= 24, magic, kind, version, reserved, bodyLength, then (only when
// asked) the CRC. Opening a file for queries skips the CRC so opening stays O(1);
// `ufsearch check` verifies it.

/// The kinds of file in an index directory; the raw value is stored in the footer.
public enum FileKind: UInt16, CaseIterable, Sendable {
    /// The commit record, `gen-<generation>.manifest`.
    case manifest = 1
    /// A segment's term dictionary.
    case terms = 2
    /// A segment's postings lists (doc ids and frequencies).
    case postings = 3
    /// A segment's token positions.
    case positions = 4
    /// A segment's per-document metadata.
    case docs = 5
    /// A segment's compressed stored text.
    case store = 6
    /// A segment's deleted-document bitmap.
    case tombstones = 7

    /// File-name extension used for this kind (without the dot).
    public var fileExtension: String {
        switch self {
        case .manifest: return "manifest"
        case .terms: return "terms"
        case .postings: return "post"
        case .positions: return "pos"
        case .docs: return "docs"
        case .store: return "store"
        case .tombstones: return "del"
        }
    }

    /// The kind whose ``fileExtension`` is `ext`, if any.
    public init?(fileExtension ext: String) {
        guard let kind = FileKind.allCases.first(where: { $0.fileExtension == ext }) else { return nil }
        self = kind
    }
}

/// The fixed 24-byte trailer that ends every index file (grammar at the top of this file).
public struct FileFooter: Equatable, Sendable {
    /// Footer size in bytes.
    public static let size = 24
    /// The trailing magic bytes, ASCII "UFS1".
    public static let magic: [UInt8] = [0x55, 0x46, 0x53, 0x31]
    /// The format version this build writes and reads (for every kind but those listed in
    /// ``currentVersion(_:)``).
    public static let currentVersion: UInt16 = 1

    /// The format version this build writes and reads for files of `kind`.
    public static func currentVersion(_ kind: FileKind) -> UInt16 {
        switch kind {
        case .positions, .store: return 3
        // Terms 2: letter and number words are cut at punctuation (2019,2020 is three units).
        case .postings, .docs, .terms: return 2
        default: return currentVersion
        }
    }

    /// Number of body bytes preceding the footer.
    public var bodyLength: UInt64
    /// CRC-32 of the body.
    public var checksum: UInt32
    /// Raw file kind (see ``FileKind``).
    public var kindRawValue: UInt16
    /// Format version.
    public var version: UInt16
    /// Reserved field, 0 in valid files.
    public var reserved: UInt32

    /// Appends a footer for the body currently in `writer` (all of `writer.buffer`).
    public static func append(to writer: inout ByteWriter, kind: FileKind, version: UInt16? = nil) {
        let crc = writer.buffer.withUnsafeBytes { Checksum.crc32($0) }
        writer.bytes(encode(bodyLength: UInt64(writer.count), checksum: crc, kind: kind, version: version ?? currentVersion(kind)))
    }

    /// The footer bytes for a body of `bodyLength` bytes with CRC `checksum` (for files written
    /// in a stream, whose body is never in memory at once).
    public static func encode(bodyLength: UInt64, checksum: UInt32, kind: FileKind, version: UInt16? = nil) -> [UInt8] {
        var w = ByteWriter(capacity: size)
        w.u64LE(bodyLength)
        w.u32LE(checksum)
        w.u16LE(kind.rawValue)
        w.u16LE(version ?? currentVersion(kind))
        w.u32LE(0)
        w.bytes(magic)
        return w.buffer
    }

    /// Decodes the last 24 bytes of `bytes` without checking kind, version or lengths beyond
    /// the minimum size and the magic.
    public static func read(_ bytes: UnsafeRawBufferPointer, file: String) throws -> FileFooter {
        guard bytes.count >= size else {
            throw IndexError.corrupt(file: file, detail: "truncated: \(bytes.count) bytes, shorter than the \(size)-byte footer")
        }
        var r = try ByteReader(bytes, file: file).sub(offset: bytes.count - size, length: size)
        let footer = FileFooter(
            bodyLength: try r.u64LE(), checksum: try r.u32LE(), kindRawValue: try r.u16LE(),
            version: try r.u16LE(), reserved: try r.u32LE())
        let tail = try r.bytes(4)
        guard tail.elementsEqual(magic) else {
            throw IndexError.corrupt(file: file, detail: "bad magic (not a ufsearch index file, or truncated)")
        }
        return footer
    }

    /// Validates the footer of `bytes` (the whole file as read from `file`) and returns the body.
    ///
    /// Throws `IndexError.corrupt` for a short file, bad magic, wrong or unknown kind, non-zero
    /// reserved field or inconsistent body length; `IndexError.unsupportedVersion` for any version
    /// other than ``currentVersion(_:)`` of `kind`; and, only when `verifyChecksum` is true, `corrupt` with
    /// "checksum mismatch" when the body's CRC differs.
    public static func validate(
        _ bytes: UnsafeRawBufferPointer, file: String, kind: FileKind, verifyChecksum: Bool
    ) throws -> UnsafeRawBufferPointer {
        let footer = try read(bytes, file: file)
        guard let found = FileKind(rawValue: footer.kindRawValue) else {
            throw IndexError.corrupt(file: file, detail: "unknown file kind \(footer.kindRawValue)")
        }
        guard found == kind else {
            throw IndexError.corrupt(file: file, detail: "expected a \(kind) file, found a \(found) file")
        }
        guard footer.version == currentVersion(kind) else {
            throw IndexError.unsupportedVersion(file: file, found: footer.version, expected: currentVersion(kind))
        }
        guard footer.reserved == 0 else {
            throw IndexError.corrupt(file: file, detail: "reserved footer field is \(footer.reserved), expected 0")
        }
        let bodyLength = bytes.count - size
        guard footer.bodyLength == UInt64(bodyLength) else {
            throw IndexError.corrupt(
                file: file, detail: "footer records a \(footer.bodyLength)-byte body but the file has \(bodyLength) bytes before the footer")
        }
        let body = UnsafeRawBufferPointer(rebasing: bytes[0 ..< bodyLength])
        if verifyChecksum {
            let crc = Checksum.crc32(body)
            guard crc == footer.checksum else {
                throw IndexError.corrupt(file: file, detail: "checksum mismatch")
            }
        }
        return body
    }

    /// Validates the footer of a mapped file and returns its body; see
    /// ``validate(_:file:kind:verifyChecksum:)``.
    public static func validate(_ file: MappedFile, kind: FileKind, verifyChecksum: Bool) throws -> UnsafeRawBufferPointer {
        try validate(file.bytes, file: file.path, kind: kind, verifyChecksum: verifyChecksum)
    }
}
