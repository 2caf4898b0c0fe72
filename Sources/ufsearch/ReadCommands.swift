import ArgumentParser
import UFAnalysis
import UFIndex
import UFSearch

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show documents, segments, terms, bytes per file kind and the generation.",
        discussion: """
        Examples:
          ufsearch stats
          ufsearch stats --index /tmp/idx
        """
    )
    @OptionGroup var location: IndexLocation

    func run() throws {
        try reportingErrors {
            let s = try IndexSnapshot.open(location.path)
            for (k, v) in statsPairs(s) { print("\(k): \(v)") }
        }
    }
}

/// Index statistics as ordered key/value pairs (CLI and server).
func statsPairs(_ s: IndexSnapshot) -> [(String, String)] {
    var bytes = [UInt16: UInt64]()
    for e in s.manifest.segments { for (k, v) in e.fileSizes { bytes[k, default: 0] += v } }
    let terms = s.segments.reduce(0) { $0 + $1.terms.termCount }
    var out: [(String, String)] = [
        ("index", s.directory.path),
        ("generation", String(s.generation)),
        ("documents", String(s.liveDocCount)),
        ("deleted", String(s.manifest.segments.reduce(0) { $0 + Int($1.deletedCount) })),
        ("segments", String(s.segments.count)),
        ("terms", String(terms)),
        ("avgdl", FixedPoint.text(s.averageLength, digits: 1)),
    ]
    var total: UInt64 = 0
    for k in FileKind.allCases where k != .manifest {
        let v = bytes[k.rawValue] ?? 0
        total += v
        out.append(("bytes." + k.fileExtension, String(v)))
    }
    out.append(("bytes.total", String(total)))
    return out
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify every checksum and structure of the index.",
        discussion: """
        Exits 0 when the index is sound, and 2 with a message naming the file otherwise.

        Examples:
          ufsearch check
          ufsearch check --index /tmp/idx && echo sound
        """
    )
    @OptionGroup var location: IndexLocation

    func run() throws {
        try reportingErrors {
            let s = try IndexSnapshot.open(location.path, verify: true)
            try s.verifyAll()
            print("ok: generation \(s.generation), \(s.segments.count) segments, \(s.liveDocCount) documents")
        }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a stored document by path or id.",
        discussion: """
        The text comes from the index's own store, so it works after the corpus moves.

        Examples:
          ufsearch show corpus/2021-全国人大常委会-中华人民共和国数据安全法.txt
          ufsearch show 3 --highlight 数据安全
        """
    )
    @OptionGroup var location: IndexLocation
    @Option(name: .long, help: "Highlight the matches of this query.") var highlight: String?
    @Option(name: .long, help: "Colour: always, never or auto.") var color: ColorMode = .auto
    @Argument(help: "A document path or numeric id.") var document: String

    func run() throws {
        try reportingErrors {
            let snap = try IndexSnapshot.open(location.path)
            let searcher = try Searcher(snapshot: snap)
            var id = try snap.document(path: document)
            if id == nil, let n = Int(document), searcher.isLive(n) { id = n }
            guard let found = id, let (info, bytes) = try searcher.document(id: found) else {
                throw CLIError(message: "no document \(document) in the index")
            }
            let decoded = try bytes.withUnsafeBytes { try DecodedText.decode($0) }
            var matches = [Range<Int>]()
            if let q = highlight {
                let plan = try searcher.compile(q)
                matches = try searcher.detail(bytes: bytes, plan: plan).matches
            }
            _ = info
            let useColor = color.enabled
            if matches.isEmpty || !useColor {
                Output.write(String(decoding: decoded.utf16, as: UTF16.self))
            } else {
                Output.write(Colorizer.render(decoded: decoded, matches: matches))
            }
            Output.flush()
        }
    }
}
