import UFIndex
import UFSearch

/// Field-level formatting of the protocol: TSV escaping, JSON strings and numbers, hit lines, document text lines.
public enum WireFormat {
    /// Escapes `\` as `\\`, tab as `\t`, LF as `\n` and CR as `\r`, so the field holds no tab or line break.
    static func tsvEscape(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Reverses ``tsvEscape(_:)``; an unknown escape or a lone trailing `\` is kept as is.
    static func tsvUnescape(_ s: String) -> String {
        var out = ""
        var escaping = false
        for scalar in s.unicodeScalars {
            if escaping {
                switch scalar {
                case "\\": out += "\\"
                case "t": out += "\t"
                case "n": out += "\n"
                case "r": out += "\r"
                default: out += "\\"; out.unicodeScalars.append(scalar)
                }
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if escaping { out += "\\" }
        return out
    }

    /// Lower-case hexadecimal digits, as UTF-8.
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `s` as a quoted JSON string; control characters, U+2028 and U+2029 are escaped, other text is kept as UTF-8.
    public static func jsonString(_ s: String) -> String {
        var s = s
        return s.withUTF8 { src in
            // Bytes that need an escape: below 0x20, `"`, `\`, and E2 80 A8/A9 (U+2028/U+2029).
            if !src.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }) {
                return String(unsafeUninitializedCapacity: src.count + 2) { out in
                    out[0] = 0x22
                    _ = UnsafeMutableBufferPointer(rebasing: out[1...]).initialize(from: src)
                    out[src.count + 1] = 0x22
                    return src.count + 2
                }
            }
            var out = [UInt8]()
            out.reserveCapacity(src.count + 16)
            out.append(0x22)
            var i = 0
            let n = src.count
            while i < n {
                let b = src[i]
                switch b {
                case 0x22: out += [0x5C, 0x22]
                case 0x5C: out += [0x5C, 0x5C]
                case 0x0A: out += [0x5C, 0x6E]
                case 0x0D: out += [0x5C, 0x72]
                case 0x09: out += [0x5C, 0x74]
                case 0x08: out += [0x5C, 0x62]
                case 0x0C: out += [0x5C, 0x66]
                case 0xE2 where i + 2 < n && src[i + 1] == 0x80 && (src[i + 2] == 0xA8 || src[i + 2] == 0xA9):
                    out += Array("\\u202\(src[i + 2] == 0xA8 ? "8" : "9")".utf8)
                    i += 2
                case ..<0x20:
                    out += [0x5C, 0x75, 0x30, 0x30, hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]]
                default:
                    out.append(b)
                }
                i += 1
            }
            out.append(0x22)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// A JSON number (shortest form that reads back to the same Double), or `null` for NaN and infinities.
    static func jsonNumber(_ d: Double) -> String {
        d.isFinite ? "\(d)" : "null"
    }

    /// `d` with exactly 4 decimals (`nan`, `inf`, `-inf` when not finite).
    static func fixed4(_ d: Double) -> String {
        FixedPoint.text(d, digits: 4)
    }

    /// `rank \t score \t path \t title \t snippet`, fields escaped.
    static func hitTSV(_ hit: ServerHit) -> String {
        "\(hit.rank)\t\(fixed4(hit.score))\t\(tsvEscape(hit.path))\t\(tsvEscape(hit.title))\t\(tsvEscape(hit.snippet))"
    }

    /// `{"rank":…,"id":…,"path":…,"title":…,"score":…,"snippet":…,"matches":[[start,end],…]}`.
    static func hitJSON(_ hit: ServerHit) -> String {
        let matches = hit.matches.map { "[\($0.start),\($0.end)]" }.joined(separator: ",")
        return "{\"rank\":\(hit.rank),\"id\":\(hit.id),\"path\":\(jsonString(hit.path)),"
            + "\"title\":\(jsonString(hit.title)),\"score\":\(jsonNumber(hit.score)),"
            + "\"snippet\":\(jsonString(hit.snippet)),\"matches\":[\(matches)]}"
    }

    /// `{"path":…,"title":…,"text":…}`.
    static func documentJSON(path: String, title: String, text: String) -> String {
        "{\"path\":\(jsonString(path)),\"title\":\(jsonString(title)),\"text\":\(jsonString(text))}"
    }

    /// Splits `text` into lines at LF, CRLF and lone CR; a break at the very end adds no empty line,
    /// and empty text has no lines.
    static func textLines(_ text: String) -> [String] {
        var lines: [String] = []
        let bytes = Array(text.utf8)
        var start = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x0A || b == 0x0D {
                lines.append(String(decoding: bytes[start..<i], as: UTF8.self))
                if b == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
                start = i + 1
            }
            i += 1
        }
        if start < bytes.count { lines.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return lines
    }
}
