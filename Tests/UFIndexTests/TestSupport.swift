import Foundation
@testable import UFIndex
import UFTestSupport

/// Runs `body` with a fresh temporary directory that is removed afterwards.
func withTempDir<T>(_ body: (String) throws -> T) rethrows -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ufindex-test-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// The `(file, detail)` of the `IndexError.corrupt` thrown by `body`, or nil if it threw
/// anything else or nothing.
func corruptError(_ body: () throws -> Any) -> (file: String, detail: String)? {
    do {
        _ = try body()
        return nil
    } catch let IndexError.corrupt(file, detail) {
        return (file, detail)
    } catch {
        return nil
    }
}

/// The `IndexError` thrown by `body`, or nil.
func indexError(_ body: () throws -> Any) -> IndexError? {
    do {
        _ = try body()
        return nil
    } catch let error as IndexError {
        return error
    } catch {
        return nil
    }
}

/// Writes `bytes` to `path` with Foundation (independent of the code under test).
func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// Reads `path` with Foundation.
func readFile(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}

/// Sorted entries of a directory, via Foundation.
func listing(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

