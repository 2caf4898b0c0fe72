import Foundation
import Testing
@testable import UFServer

@Suite struct ResponseEncoderTests {
    @Test func statusLines() {
        #expect(ResponseEncoder.string(.ok()) == "OK\n.\n")
        #expect(ResponseEncoder.string(.ok("PONG")) == "OK PONG\n.\n")
        #expect(ResponseEncoder.string(.error(.empty)) == "ERR EMPTY empty request (try HELP)\n.\n")
        #expect(
            ResponseEncoder.string(.error(.backend(code: "bad query!", message: "line1\nline2\r")))
                == "ERR BAD_QUERY_ line1 line2 \n.\n")
        #expect(ResponseEncoder.string(.error(.backend(code: "", message: ""))) == "ERR INTERNAL error\n.\n")
    }

    @Test func dotStuffing() {
        let r = Response.ok("x", lines: [".", "..", ".a", "a.", ""])
        #expect(ResponseEncoder.wireLines(r) == ["OK x", "..", "...", "..a", "a.", "", "."])
    }

    @Test func dataLinesNeverBreakFraming() {
        let r = Response.ok(lines: ["a\nb", "c\r\nd"])
        #expect(ResponseEncoder.string(r) == "OK\na b\nc  d\n.\n")
    }

    @Test func longErrorMessageTruncated() {
        let r = Response.error(.notFound(String(repeating: "统", count: 2000)))
        let line = ResponseEncoder.wireLines(r)[0]
        #expect(line.utf8.count < 1100)
        #expect(line.hasSuffix("…"))
    }

    @Test func tsvEscaping() {
        #expect(WireFormat.tsvEscape("plain 统战") == "plain 统战")
        #expect(WireFormat.tsvEscape("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e")
        for s in ["a\tb\nc\rd\\e", "\\n", "\\", "x\\\ty", ""] {
            #expect(WireFormat.tsvUnescape(WireFormat.tsvEscape(s)) == s)
        }
    }

    @Test func jsonEscaping() {
        #expect(WireFormat.jsonString("统\"\\\n\t\u{01}\u{2028}") == "\"统\\\"\\\\\\n\\t\\u0001\\u2028\"")
        #expect(WireFormat.jsonString("统战 plain/path.txt") == "\"统战 plain/path.txt\"")
        #expect(WireFormat.jsonString("\u{2027}\u{2029}\u{1F}\u{7F}\u{8}\u{C}\r") == "\"\u{2027}\\u2029\\u001f\u{7F}\\b\\f\\r\"")
        // Every character from U+0000 to U+2FFF and a few beyond, mixed with text: JSON reads each back unchanged.
        var chars = (0..<0x3000).compactMap { Unicode.Scalar($0).map(Character.init) }
        chars += ["😀", "𠀀", "统", "a\u{301}"]
        for chunk in stride(from: 0, to: chars.count, by: 97) {
            let s = "x" + String(chars[chunk..<min(chars.count, chunk + 97)]) + "统"
            let decoded = try? JSONSerialization.jsonObject(with: Data(WireFormat.jsonString(s).utf8), options: .fragmentsAllowed) as? String
            #expect(decoded == s)
        }
        #expect(WireFormat.jsonNumber(1.5) == "1.5")
        #expect(WireFormat.jsonNumber(.nan) == "null")
        #expect(WireFormat.jsonNumber(-.infinity) == "null")
    }

    @Test func scoreFormatting() {
        #expect(WireFormat.fixed4(1) == "1.0000")
        #expect(WireFormat.fixed4(0.123456) == "0.1235")
        #expect(WireFormat.fixed4(.nan) == "nan")
    }

    @Test func hitLines() {
        let hit = ServerHit(
            rank: 3, id: 42, path: "a/b.txt", title: "T\tt", score: 2.5, snippet: "x\ny",
            matches: [(start: 1, end: 4), (start: 10, end: 13)])
        #expect(WireFormat.hitTSV(hit) == "3\t2.5000\ta/b.txt\tT\\tt\tx\\ny")
        #expect(
            WireFormat.hitJSON(hit)
                == #"{"rank":3,"id":42,"path":"a/b.txt","title":"T\tt","score":2.5,"snippet":"x\ny","matches":[[1,4],[10,13]]}"#)
    }

    @Test func textLines() {
        #expect(WireFormat.textLines("") == [])
        #expect(WireFormat.textLines("a") == ["a"])
        #expect(WireFormat.textLines("a\n") == ["a"])
        #expect(WireFormat.textLines("a\n\n") == ["a", ""])
        #expect(WireFormat.textLines("a\r\nb\rc\nd") == ["a", "b", "c", "d"])
        #expect(WireFormat.textLines("\n") == [""])
    }
}
