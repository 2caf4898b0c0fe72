import Foundation

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

    /// `s` as a quoted JSON string; control characters, U+2028 and U+2029 are escaped, other text is kept as UTF-8.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    /// A JSON number (shortest form that reads back to the same Double), or `null` for NaN and infinities.
    static func jsonNumber(_ d: Double) -> String {
        d.isFinite ? "\(d)" : "null"
    }

    /// `d` with exactly 4 decimals (`nan`, `inf`, `-inf` when not finite).
    static func fixed4(_ d: Double) -> String {
        guard d.isFinite else { return d.isNaN ? "nan" : (d < 0 ? "-inf" : "inf") }
        return String(format: "%.4f", d)
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
