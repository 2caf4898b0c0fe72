import Testing
@testable import UFServer

@Suite struct RequestHandlerTests {
    let handler = RequestHandler(backend: MockBackend(slowSeconds: 0.01))

    private func wire(_ line: String) -> [String] {
        ResponseEncoder.wireLines(handler.respond(toLine: Array(line.utf8)))
    }

    @Test func queryTSV() {
        #expect(
            wire("QUERY 工作")
                == [
                    "OK 2 2",
                    "1\t1.0000\treports/2019/a.txt\t统战工作报告\t…统一战线工作报告\\n…",
                    "2\t0.5000\treports/2020/b.txt\tTitle\\twith tab\t…民族宗教工作\\r\\nC\\n…",
                    ".",
                ])
    }

    @Test func queryLimitOffset() {
        #expect(wire("QUERY limit=1 offset=1 工作") == ["OK 2 1", "2\t0.5000\treports/2020/b.txt\tTitle\\twith tab\t…民族宗教工作\\r\\nC\\n…", "."])
        #expect(wire("QUERY limit=0 工作") == ["OK 2 0", "."])
        #expect(wire("QUERY offset=5 工作") == ["OK 2 0", "."])
        #expect(wire("QUERY nothing-matches") == ["OK 0 0", "."])
    }

    @Test func queryJSON() {
        let lines = wire("QUERY format=json limit=1 统一")
        #expect(lines.count == 3)
        #expect(lines[0] == "OK 1 1")
        #expect(
            lines[1]
                == #"{"rank":1,"id":0,"path":"reports/2019/a.txt","title":"统战工作报告","score":1.0,"snippet":"…统一战线工作报告\n…","matches":[[0,3],[9,12]]}"#)
    }

    @Test func backendErrors() {
        #expect(wire("QUERY bad(") == ["ERR BADQUERY unbalanced parenthesis at 1", "."])
        #expect(wire("COUNT boom") == ["ERR INTERNAL disk on fire second line", "."])
        #expect(wire("GET boom") == ["ERR INTERNAL disk on fire second line", "."])
    }

    @Test func count() {
        #expect(wire("COUNT 工作") == ["OK 2", "."])
        #expect(wire("count n:123") == ["OK 123", "."])
    }

    @Test func getText() {
        #expect(
            wire("GET 0")
                == ["OK reports/2019/a.txt", "统一战线工作报告", "第一部分\tA", "..点开头的行", "...two dots", "."])
        #expect(wire("GET reports/2020/b.txt") == ["OK reports/2020/b.txt", "民族宗教工作", "CRLF line", "lone CR", "."])
        #expect(wire("GET notes/c d.txt") == ["OK notes/c d.txt", "..", "."])
        #expect(wire("GET 99") == ["ERR NOTFOUND no document '99'", "."])
    }

    @Test func getJSON() {
        #expect(
            wire("GET format=json 2")
                == ["OK notes/c d.txt", #"{"path":"notes/c d.txt","title":"back\\slash","text":".\n"}"#, "."])
    }

    @Test func statsPingHelpQuit() {
        #expect(wire("STATS") == ["OK", "documents\t3", "generation\t7", "..hidden\tx\\ty", "."])
        #expect(wire("PING") == ["OK PONG", "."])
        let help = wire("HELP")
        #expect(help.first == "OK")
        #expect(help.last == ".")
        for command in ["QUERY", "COUNT", "GET", "STATS", "PING", "HELP", "QUIT"] {
            #expect(help.contains { $0.hasPrefix(command) })
        }
        #expect(handler.respond(to: .quit) == .ok("BYE", closesConnection: true))
        #expect(wire("QUIT") == ["OK BYE", "."])
    }

    @Test func protocolErrors() {
        #expect(wire("") == ["ERR EMPTY empty request (try HELP)", "."])
        #expect(wire("NOPE") == ["ERR UNKNOWN unknown command 'NOPE' (try HELP)", "."])
        #expect(
            ResponseEncoder.wireLines(handler.respond(toLine: [0xFF, 0x0A]))
                == ["ERR BADUTF8 request is not valid UTF-8", "."])
        #expect(wire("QUERY limit=abc x") == ["ERR BADARG limit must be a whole number in 0...1000, not 'abc'", "."])
    }
}
