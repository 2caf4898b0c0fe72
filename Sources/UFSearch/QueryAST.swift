// The abstract syntax tree produced by `QueryParser`.
//
// The tree keeps the user's raw text: no normalisation (NFKC, case folding,
// Traditional→Simplified) happens here; that is the job of a later stage.

/// A node of a parsed `ufsearch query` expression.
///
/// Invariants guaranteed by ``QueryParser/parse(_:)``:
/// - `.and` and `.or` always have at least two children, and are flattened:
///   an `.and` never has an `.and` child and an `.or` never has an `.or` child.
/// - `.not` appears only as a child of `.and`, and every `.and` has at least one
///   child that is not `.not`, so no part of a query means "everything except …".
///   (The operand of a `.not` is therefore never a `.not` either.)
/// - Strings are never empty, and phrases are never blank.
public indirect enum QueryNode: Equatable, Sendable {
    /// A bare term, exactly as typed (e.g. `宗教中国化`, `C++`, `http://x.cn`).
    case term(String)
    /// The raw text between phrase quotes (`"…"`, `“…”` or `「…」`), with the
    /// backslash escapes `\"` and `\\` resolved.
    case phrase(String)
    /// A `title:` or `path:` filter with its raw value; `isPhrase` is true when
    /// the value was quoted (`title:"统战 工作"`).
    case field(QueryField, String, isPhrase: Bool)
    /// A `year:` filter. `year:2019` is `lo: 2019, hi: 2019`; `year:2019..` has
    /// no `hi`, `year:..2021` has no `lo`. When both are present, `lo <= hi`.
    case year(lo: Int?, hi: Int?)
    /// All children must match (implicit AND between whitespace-separated clauses).
    case and([QueryNode])
    /// At least one child must match (`OR`).
    case or([QueryNode])
    /// Exclusion (`-clause`): documents matching the operand are removed.
    case not(QueryNode)
}

/// The text fields that can be filtered with `field:value`.
public enum QueryField: String, Sendable, CaseIterable {
    /// The document title (`title:…`).
    case title
    /// The document's path in the archive (`path:…`).
    case path
}

extension QueryNode: CustomStringConvertible, CustomDebugStringConvertible {
    /// The canonical S-expression of the node, e.g.
    /// `(and (term "宗教") (not (phrase "Linux 内核")) (or (term "a") (term "b")))`.
    ///
    /// Forms: `(term "…")`, `(phrase "…")`, `(field title "…")`,
    /// `(field title phrase "…")`, `(year 2019 2021)` (an open end is written `*`),
    /// `(and …)`, `(or …)`, `(not …)`. Strings are written in double quotes; `"` and
    /// `\` are backslash-escaped, and whitespace other than U+0020, control and
    /// format characters are written `\u{XXXX}` so the output is unambiguous.
    public var sExpression: String {
        var out = ""
        render(into: &out)
        return out
    }

    /// Same as ``sExpression``.
    public var description: String { sExpression }

    /// Same as ``sExpression``.
    public var debugDescription: String { sExpression }

    private func render(into out: inout String) {
        switch self {
        case .term(let text):
            out += "(term "
            Self.quote(text, into: &out)
            out += ")"
        case .phrase(let text):
            out += "(phrase "
            Self.quote(text, into: &out)
            out += ")"
        case .field(let field, let value, let isPhrase):
            out += "(field " + field.rawValue + (isPhrase ? " phrase " : " ")
            Self.quote(value, into: &out)
            out += ")"
        case .year(let lo, let hi):
            out += "(year " + (lo.map(String.init) ?? "*") + " " + (hi.map(String.init) ?? "*") + ")"
        case .and(let children):
            out += "(and"
            for child in children {
                out += " "
                child.render(into: &out)
            }
            out += ")"
        case .or(let children):
            out += "(or"
            for child in children {
                out += " "
                child.render(into: &out)
            }
            out += ")"
        case .not(let child):
            out += "(not "
            child.render(into: &out)
            out += ")"
        }
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case " ": out += " "
            default:
                let props = scalar.properties
                let category = props.generalCategory
                if props.isWhitespace || category == .control || category == .format
                    || category == .lineSeparator || category == .paragraphSeparator
                    || category == .surrogate || category == .unassigned || category == .privateUse
                {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
