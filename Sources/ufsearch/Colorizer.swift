import ArgumentParser
import UFAnalysis

/// `--color=always|never|auto`.
enum ColorMode: String, ExpressibleByArgument, CaseIterable {
    case always, never, auto

    /// True when output should be coloured.
    var enabled: Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto: return Output.stdoutIsTTY
        }
    }
}

/// ANSI highlighting of matches.
enum Colorizer {
    static let on = "\u{1B}[1;31m"
    static let off = "\u{1B}[0m"

    /// Snippet pieces joined, matches coloured when `color`.
    static func render(_ pieces: [(text: String, isMatch: Bool)], color: Bool) -> String {
        var out = ""  // appended, not joined(): that looks up a conformance at run time
        for p in pieces {
            if color && p.isMatch { out += on + p.text + off } else { out += p.text }
        }
        return out
    }

    /// A whole decoded document with the byte ranges `matches` coloured.
    static func render(decoded: DecodedText, matches: [Range<Int>]) -> String {
        var out = ""
        var cur = 0
        let offs = decoded.offsets
        func unit(_ b: Int) -> Int {
            var lo = 0, hi = decoded.utf16.count
            while lo < hi { let m = (lo + hi) / 2; if Int(offs[m]) < b { lo = m + 1 } else { hi = m } }
            return lo
        }
        for r in matches {
            let a = unit(r.lowerBound), b = unit(r.upperBound)
            guard a >= cur, b > a else { continue }
            out += String(decoding: decoded.utf16[cur..<a], as: UTF16.self)
            out += on + String(decoding: decoded.utf16[a..<b], as: UTF16.self) + off
            cur = b
        }
        out += String(decoding: decoded.utf16[cur...], as: UTF16.self)
        return out
    }
}
