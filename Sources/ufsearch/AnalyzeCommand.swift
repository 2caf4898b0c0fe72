import ArgumentParser
import UFAnalysis

/// `ufsearch analyze`: shows how a text is decoded, normalised and segmented.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Show the tokens of a text: normalised form, kind, position, original byte range.",
        discussion: """
        Use it to see why something did or did not match. Matching itself never depends on \
        these word boundaries: Chinese text matches character by character.

        Examples:
          ufsearch analyze 宗教中國化
          ufsearch analyze --json "Linux内核 ＱＱ １２３"
          ufsearch analyze - < corpus/report.txt
        """
    )

    @Flag(name: .long, help: "Print one JSON object per token.")
    var json = false

    @Argument(help: "The text to analyse, or - to read it from stdin.")
    var text: String

    func run() throws {
        let analyzer = try Analyzer()
        let analysis: Analysis
        let source: [UInt8]
        if text == "-" {
            source = Output.readStdin()
            do {
                analysis = try analyzer.analyze(bytes: source)
            } catch let e as AnalysisError {
                throw CLIError(message: "stdin: \(e)")
            }
        } else {
            source = Array(text.utf8)
            analysis = analyzer.analyze(text: text)
        }
        let tokens = analysis.tokens()
        if json {
            for t in tokens {
                Output.line(JSONText.object([
                    ("position", String(t.position)),
                    ("token", JSONText.quote(t.text)),
                    ("kind", JSONText.quote(t.kind.description)),
                    ("start", String(t.start)),
                    ("end", String(t.end)),
                    ("original", JSONText.quote(original(source, t, analysis.encoding))),
                ]))
            }
        } else {
            Output.line("pos\tkind\ttoken\tbytes\toriginal")
            for t in tokens {
                // The original may span a line break (dropped between Han characters): escape it.
                let orig = original(source, t, analysis.encoding).unicodeScalars
                    .map { $0 == "\r" ? "\\r" : $0 == "\n" ? "\\n" : String($0) }.joined()
                Output.line("\(t.position)\t\(t.kind)\t\(t.text)\t\(t.start)..\(t.end)\t\(orig)")
            }
        }
    }

    /// The original characters of a token, decoded for display.
    private func original(_ source: [UInt8], _ t: Token, _ enc: SourceEncoding) -> String {
        let slice = Array(source[t.start..<t.end])
        if enc == .utf8 { return String(decoding: slice, as: UTF8.self) }
        let d = slice.withUnsafeBytes { try? DecodedText.decode($0) }
        return d.map { String(decoding: $0.utf16, as: UTF16.self) } ?? ""
    }
}
