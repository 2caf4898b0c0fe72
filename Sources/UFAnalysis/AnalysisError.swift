/// Why a piece of input could not be analysed. Each case reads as one line.
public enum AnalysisError: Error, Equatable, CustomStringConvertible {
    /// The bytes are neither UTF-8 nor GB18030 text (a binary file, or text in another encoding).
    case binary(reason: String)
    /// The input is larger than the analyser accepts in one document.
    case tooLarge(bytes: Int, limit: Int)
    /// ICU failed to open a service (converter, normaliser, break iterator); the code is ICU's UErrorCode.
    case icu(operation: String, code: Int32)

    /// A one-line message: why the text was refused, or which ICU operation failed and its code.
    public var description: String {
        switch self {
        case .binary(let reason): return "not text: \(reason)"
        case .tooLarge(let bytes, let limit):
            return "too large: \(bytes) bytes (at most \(limit) bytes per document)"
        case .icu(let op, let code): return "ICU error \(code) in \(op)"
        }
    }
}
