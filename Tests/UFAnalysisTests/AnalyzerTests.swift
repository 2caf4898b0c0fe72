import Foundation
import Testing
@testable import UFAnalysis
import UFTestSupport

/// Reads a fixture file's bytes.
func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil))
    return Array(try Data(contentsOf: url))
}

/// Token texts of a string.
func tokenTexts(_ s: String) throws -> [String] {
    try Analyzer().analyze(text: s).tokens().map(\.text)
}

struct SegmentationCases {
    @Test("words and normalisation", arguments: [
        ("宗教中國化", ["宗教", "中国", "化"]),
        ("ＱＱ", ["qq"]),
        ("１２３", ["123"]),
        ("２０２１年", ["2021", "年"]),
        ("ＡＢＣ１２３", ["abc123"]),
        ("Debian ＤＥＢＩＡＮ debian", ["debian", "debian", "debian"]),
        ("統一戰線", ["统一", "战线"]),
        ("宗教，中国", ["宗教", "中国"]),
        ("", []),
        ("。，！", []),
    ])
    func tokens(input: String, expected: [String]) throws {
        #expect(try tokenTexts(input) == expected)
    }

    @Test func byteRangesOfTraditionalText() throws {
        let toks = try Analyzer().analyze(text: "宗教中國化").tokens()
        #expect(toks.map(\.start) == [0, 6, 12])
        #expect(toks.map(\.end) == [6, 12, 15])
        #expect(toks.map(\.position) == [0, 1, 2])
        #expect(toks.allSatisfy { $0.kind == .han })
    }

    @Test func linuxKernelIsALetterWordThenHan() throws {
        let toks = try Analyzer().analyze(text: "Linux内核").tokens()
        #expect(toks.first?.text == "linux")
        #expect(toks.first?.kind == .letter)
        // ICU 72 may split 内核 into 内/核 here; whatever it does, the rest is Han and spells 内核.
        #expect(toks.dropFirst().allSatisfy { $0.kind == .han })
        #expect(toks.dropFirst().map(\.text).joined() == "内核")
    }

    @Test func kinds() throws {
        let toks = try Analyzer().analyze(text: "版本 3.14 of Linux 系统").tokens()
        #expect(toks.map(\.kind) == [.han, .number, .number, .letter, .letter, .han])
        #expect(toks.map(\.text) == ["版本", "3", "14", "of", "linux", "系统"])
        #expect(toks.map(\.position) == [0, 1, 3, 4, 5, 6])
    }

    /// ICU's word rules join letters and digits across some punctuation (UAX #29's MidNum,
    /// MidLetter, MidNumLet, ExtendNumLet), and NFKC turns Chinese full-width marks into those
    /// ASCII ones: the analyser cuts such words there, so each side is a token of its own and
    /// the mark a punctuation unit between them.
    @Test("words joined across punctuation are cut", arguments: [
        ("在2019，2020年", ["在", "2019", "2020", "年"]),
        ("2019.10.1", ["2019", "10", "1"]),
        ("x86，64", ["x86", "64"]),
        ("Debian's debian.org a_b a：b", ["debian", "s", "debian", "org", "a", "b", "a", "b"]),
        ("１，０００元", ["1", "000", "元"]),
        ("debianutils 2021-2023", ["debianutils", "2021", "2023"]),
    ])
    func wordsJoinedAcrossPunctuationAreCut(input: String, expected: [String]) throws {
        #expect(try tokenTexts(input) == expected)
    }

    @Test func cutWordsKeepOriginalOffsetsAndKinds() throws {
        let toks = try Analyzer().analyze(text: "在2019，2020年 v1.2").tokens()
        #expect(toks.map(\.text) == ["在", "2019", "2020", "年", "v1", "2"])
        #expect(toks.map(\.kind) == [.han, .number, .number, .han, .letter, .number])
        // Byte ranges in the original: 2019 is bytes 3..<7, "，" 7..<10, 2020 10..<14.
        #expect(toks[1].start == 3 && toks[1].end == 7)
        #expect(toks[2].start == 10 && toks[2].end == 14)
        #expect(toks.map(\.position) == [0, 1, 3, 4, 5, 7])
    }

    @Test func punctuationAddsAPositionGap() throws {
        let toks = try Analyzer().analyze(text: "宗教，中国 化").tokens()
        #expect(toks.map(\.position) == [0, 2, 3])
    }

    @Test func fullWidthOffsetsPointAtOriginalCharacters() throws {
        let toks = try Analyzer().analyze(text: "ＱＱ号").tokens()
        #expect(toks[0].text == "qq")
        #expect(toks[0].start == 0 && toks[0].end == 6)
    }
}

struct NormalizationCases {
    @Test("normalised text", arguments: [
        ("ＡＢＣ１２３", "abc123"),
        ("宗教\n中國化", "宗教中国化"),
        ("宗教 \r\n 中国", "宗教中国"),
        ("宗教 abc", "宗教 abc"),
        ("abc def", "abc def"),
        ("中　国", "中国"),            // ideographic space between Han
        ("Straße", "strasse"),
        ("ﬁ", "fi"),
        ("e\u{301}", "é"),
        ("臺灣", "台湾"),
    ])
    func normalized(input: String, expected: String) throws {
        #expect(try Normalizer().normalize(input).string == expected)
    }
}

struct DecodingCases {
    @Test func gb18030Fixture() throws {
        let bytes = try fixture("gb18030.txt")
        let a = try Analyzer().analyze(bytes: bytes)
        #expect(a.encoding == .gb18030)
        // NFKC maps ， to ,
        #expect(a.normalized.string.hasPrefix("宗教中国化工作民族团结进步,统一战线。"))
        let toks = a.tokens()
        #expect(toks.first?.text == "宗教")
        // GB18030 uses two bytes per character here: offsets are in the original bytes.
        #expect(toks.first?.start == 0 && toks.first?.end == 4)
    }

    @Test func binaryIsRejected() throws {
        let bytes = try fixture("binary.bin")
        #expect(throws: AnalysisError.self) { try Analyzer().analyze(bytes: bytes) }
        #expect(throws: AnalysisError.self) { try Analyzer().analyze(bytes: [0xFF, 0xFE, 0x00, 0x41]) }
    }

    @Test func emptyFile() throws {
        let a = try Analyzer().analyze(bytes: try fixture("empty.txt"))
        #expect(a.tokens().isEmpty)
        #expect(a.normalized.text.isEmpty)
    }

    @Test func bomAndCRLF() throws {
        let a = try Analyzer().analyze(bytes: [0xEF, 0xBB, 0xBF] + Array("统战\r\n工作\r\nABC".utf8))
        #expect(a.normalized.string == "统战工作\r\nabc")
        #expect(a.tokens().first?.start == 3)
    }

    @Test func oneMegabyteSingleLine() throws {
        let unit = "坚持我国宗教中国化方向，Linux内核３.１４版本；"
        var s = ""
        while s.utf8.count < 1 << 20 { s += unit }
        let bytes = Array(s.utf8)
        let a = try Analyzer().analyze(bytes: bytes)
        let toks = a.tokens()
        #expect(toks.count > 100_000)
        #expect(toks.last!.end <= bytes.count)
        #expect(toks.filter { $0.text == "linux" }.count == toks.filter { $0.text == "14" }.count)
    }

    @Test func invalidUTF8ThatIsGB18030() throws {
        // "中文" in GBK: D6 D0 CE C4.
        let a = try Analyzer().analyze(bytes: [0xD6, 0xD0, 0xCE, 0xC4])
        #expect(a.encoding == .gb18030)
        #expect(a.normalized.string == "中文")
    }
}

struct RoundTripProperty {
    /// For random text, the original bytes at each token's range normalise to that token.
    @Test func originalBytesNormaliseToToken() throws {
        let alphabet: [String] = ["宗", "教", "中", "國", "国", "化", "統", "戰", "线", "Ａ", "ｂ", "Q", "x", "１", "9", "，", "。",
                                  " ", "\n", "\r\n", "　", "-", "é", "e\u{301}", "ﬁ", "臺", "灣", "𠀋", "ß", "Ⅻ", "㈱", "\t"]
        var rng = SplitMix64(seed: 42)
        let analyzer = try Analyzer()
        let checker = try Normalizer()
        for _ in 0..<300 {
            let len = Int(rng.next() % 40)
            let s = (0..<len).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
            let bytes = Array(s.utf8)
            let a = analyzer.analyze(text: s)
            for t in a.tokens() {
                let original = String(decoding: bytes[t.start..<t.end], as: UTF8.self)
                let renorm = checker.normalize(original).string
                // A single source character may expand to more than the token (㈱ → "(株)"):
                // then the token is part of what the character normalises to.
                let oneSourceChar = original.unicodeScalars.count == 1
                #expect(renorm == t.text || (oneSourceChar && renorm.contains(t.text)), "text \(s.debugDescription): token \(t.text) from \(original.debugDescription)")
            }
        }
    }
}

struct TraditionalTable {
    /// The tabulated Traditional→Simplified mapping must equal ICU's live transliterator, code
    /// point by code point, over every Han block: a different system ICU fails here (run
    /// scripts/gen-t2s to regenerate the table).
    @Test func tableMatchesTheLiveTransliterator() throws {
        let n = try Normalizer()
        #expect(Normalizer.traditionalTableCount > 2000)
        var checked = 0
        for range in [0x3000...0x303F, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2A6DF] {
            for c in range {
                guard let u = Unicode.Scalar(UInt32(c)) else { continue }
                let s = String(u)
                #expect(n.normalize(s).string == n.referenceNormalize(s), "U+\(String(c, radix: 16))")
                checked += 1
            }
        }
        #expect(checked > 70_000)
        #expect(n.normalize("計畫臺灣「統戰」").string == n.referenceNormalize("計畫臺灣「統戰」").replacingOccurrences(of: "计划", with: "计画"))
    }
}

struct NormalizerEntries {
    /// Every BMP unit's cached entry (with the Han shortcut and the one-call C path) must equal
    /// what the general ICU path computes: same boundary flag, same normalised units.
    @Test func fastEntriesMatchTheGeneralPath() throws {
        let n = try Normalizer()
        var mismatches = [String]()
        for c in 0...0xFFFF {
            let u = UInt16(c)
            let fast = n.decodeEntry(n.entryThroughICU(u, shortcuts: true))
            let plain = n.decodeEntry(n.entryThroughICU(u, shortcuts: false))
            let reference = n.referenceEntry(u)
            if fast != reference || plain != reference { mismatches.append("U+\(String(c, radix: 16))") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    /// Every unit the fast path takes as plain Han (normalised to itself, with no table entry
    /// looked at, as a unit or as the unit after another) is its own chunk and its own form by
    /// ICU; and every other unit of the basic block is changed by the Traditional→Simplified table.
    @Test func plainHanUnitsAreTheirOwnChunks() throws {
        let n = try Normalizer()
        let changed = Set(Normalizer.traditionalPairs.map(\.from))
        var wrong = [String](), plain = 0
        for c in 0...0xFFFF {
            let u = UInt16(c)
            let reference = n.referenceEntry(u)
            if n.isPlainHan(u) {
                plain += 1
                if reference.joins || reference.units != [u] { wrong.append("U+\(String(c, radix: 16))") }
            } else if (0x4E00...0x9FFF).contains(c) && !changed.contains(UInt32(c)) {
                wrong.append("U+\(String(c, radix: 16)) (unchanged, not plain)")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(20))")
        #expect(plain > 18_000)
    }
}

struct UTF16Strings {
    /// `UTF16Scalar.string` equals `String(decoding:as: UTF16.self)`, unpaired surrogates included.
    @Test func matchesTheStandardDecoding() {
        let samples: [[UInt16]] = [
            [], Array("宗教中国化 ABC é 𠀀 ①\n".utf16), [0xD800], [0xDC00], [0xD800, 0x41], [0x41, 0xDBFF],
            [0xDC00, 0xD800], [0xD83D, 0xDE00, 0xD83D], [0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0xFFFD],
        ]
        for t in samples {
            #expect(UTF16Scalar.string(t) == String(decoding: t, as: UTF16.self), "\(t)")
            #expect(UTF16Scalar.string(t[...]).utf8.elementsEqual(String(decoding: t, as: UTF16.self).utf8))
        }
        var z: UInt64 = 12345
        for _ in 0 ..< 2000 {
            var t = [UInt16]()
            for _ in 0 ..< 12 {
                z = z &* 6364136223846793005 &+ 1442695040888963407
                let r = UInt16(truncatingIfNeeded: z >> 33)
                t.append(z >> 62 == 0 ? 0xD800 | (r & 0x7FF) : r)  // many surrogates, paired or not
            }
            #expect(UTF16Scalar.string(t).utf8.elementsEqual(String(decoding: t, as: UTF16.self).utf8), "\(t)")
        }
    }
}

struct CombiningChunks {
    /// Two-unit chunks that are not surrogate pairs (a letter plus a combining mark) are never
    /// cached as astral characters: e + U+0301 and U+0465 + U+0301 share the low bits that a
    /// surrogate decoding would read, and must still normalise to different text.
    @Test func combiningPairsDoNotShareACacheEntry() throws {
        let n = try Normalizer()
        let first = n.normalize("e\u{301}").string
        let second = n.normalize("\u{465}\u{301}").string
        #expect(first == "\u{E9}")
        #expect(second == "\u{465}\u{301}")
        #expect(n.normalize("e\u{301}").string == first)
    }
}
