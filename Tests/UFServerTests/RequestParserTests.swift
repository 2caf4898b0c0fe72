import Testing
@testable import UFServer
import UFTestSupport

@Suite struct RequestParserTests {
    private func parse(_ s: String) -> Result<Request, ProtocolError> {
        RequestParser.parse(Array(s.utf8))
    }

    private func error(_ s: String) -> ProtocolError? {
        if case .failure(let e) = parse(s) { return e }
        return nil
    }

    @Test func simpleCommandsCaseInsensitive() {
        #expect(parse("PING") == .success(.ping))
        #expect(parse("ping") == .success(.ping))
        #expect(parse("  PiNg \t") == .success(.ping))
        #expect(parse("STATS") == .success(.stats))
        #expect(parse("help") == .success(.help))
        #expect(parse("HELP QUERY") == .success(.help))
        #expect(parse("quit") == .success(.quit))
    }

    @Test func trailingCarriageReturnIgnored() {
        #expect(parse("PING\r") == .success(.ping))
        #expect(parse("COUNT 统战\r") == .success(.count(text: "统战")))
    }

    @Test func queryDefaultsAndOptions() {
        #expect(parse("QUERY 统一 战线") == .success(.query(text: "统一 战线", limit: 10, offset: 0, format: .plain)))
        #expect(
            parse("query limit=5 offset=20 format=json a b")
                == .success(.query(text: "a b", limit: 5, offset: 20, format: .json)))
        #expect(
            parse("QUERY LIMIT=0 Format=TSV x") == .success(.query(text: "x", limit: 0, offset: 0, format: .plain)))
        #expect(parse("QUERY limit=1000 x") == .success(.query(text: "x", limit: 1000, offset: 0, format: .plain)))
        // `--` ends the options; text may then start with NAME=.
        #expect(
            parse("QUERY limit=3 -- limit=4") == .success(.query(text: "limit=4", limit: 3, offset: 0, format: .plain)))
        // Text that doesn't look like an option ends them.
        #expect(
            parse("QUERY title:统战 limit=3") == .success(.query(text: "title:统战 limit=3", limit: 10, offset: 0, format: .plain)))
        #expect(parse("QUERY =x") == .success(.query(text: "=x", limit: 10, offset: 0, format: .plain)))
    }

    @Test func queryOptionErrors() {
        for bad in [
            "QUERY limit=abc x", "QUERY limit=-1 x", "QUERY limit=1001 x", "QUERY limit= x", "QUERY limit=+5 x",
            "QUERY limit=99999999999999999999999 x", "QUERY offset=1000000001 x", "QUERY offset=-3 x",
            "QUERY format=xml x", "QUERY limt=5 x", "QUERY limit=1 limit=2 x",
        ] {
            guard case .badArgument? = error(bad) else {
                Issue.record("expected BADARG for \(bad), got \(parse(bad))")
                continue
            }
        }
        #expect(error("QUERY") == .badArgument("QUERY needs query text"))
        #expect(error("QUERY limit=5") == .badArgument("QUERY needs query text"))
        #expect(error("QUERY limit=5 --") == .badArgument("QUERY needs query text"))
        #expect(error("QUERY limit=abc x")?.message == "limit must be a whole number in 0...1000, not 'abc'")
    }

    @Test func countAndGet() {
        #expect(parse("COUNT a  b ") == .success(.count(text: "a  b")))
        #expect(error("COUNT") == .badArgument("COUNT needs query text"))
        #expect(parse("GET notes/c d.txt") == .success(.get(ref: "notes/c d.txt", format: .plain)))
        #expect(parse("GET format=json 12") == .success(.get(ref: "12", format: .json)))
        #expect(parse("GET format=text 12") == .success(.get(ref: "12", format: .plain)))
        #expect(error("GET")?.code == "BADARG")
        #expect(error("GET format=tsv 1")?.code == "BADARG")
    }

    @Test func argumentsWhereNoneAllowed() {
        #expect(error("PING now") == .badArgument("PING takes no arguments"))
        #expect(error("STATS x")?.code == "BADARG")
        #expect(error("QUIT x")?.code == "BADARG")
    }

    @Test func unknownEmptyAndInvalid() {
        #expect(error("FOO bar") == .unknownCommand("FOO"))
        #expect(error("FOO bar")?.message == "unknown command 'FOO' (try HELP)")
        #expect(error("") == .empty)
        #expect(error(" \t ") == .empty)
        #expect(error("\r") == .empty)
        #expect(RequestParser.parse([0x50, 0xFF, 0xFE]) == .failure(.badUTF8))
        #expect(RequestParser.parse([0xC3]) == .failure(.badUTF8))  // truncated sequence
        #expect(RequestParser.parse([0xED, 0xA0, 0x80]) == .failure(.badUTF8))  // surrogate
        #expect(RequestParser.parse([0xC0, 0x80]) == .failure(.badUTF8))  // overlong NUL
        // A long unknown word is echoed shortened.
        let long = String(repeating: "X", count: 500)
        #expect(error(long) == .unknownCommand(String(repeating: "X", count: 40)))
    }

    @Test func arbitraryBytesNeverTrap() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let count = Int(rng.next() % 64)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = RequestParser.parse(bytes)
            _ = RequestParser.parse(Array("QUERY ".utf8) + bytes)
            _ = RequestParser.parse(Array("QUERY limit=".utf8) + bytes)
        }
    }
}

