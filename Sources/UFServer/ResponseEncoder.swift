import NIOCore

/// Turns a ``Response`` into wire bytes: status line, dot-stuffed data lines, the `.` terminator, each ending in `\n`.
enum ResponseEncoder {
    /// The lines as sent, without their `\n`: status line, data lines (a leading `.` doubled), then `.`.
    /// CR and LF inside any line are replaced by spaces so framing can't break.
    static func wireLines(_ response: Response) -> [String] {
        var lines = [statusLine(response.status)]
        lines.reserveCapacity(response.lines.count + 2)
        for line in response.lines {
            lines.append(dotStuffed(singleLine(line)))
        }
        lines.append(".")
        return lines
    }

    /// Appends the encoded response to `buffer`.
    static func encode(_ response: Response, into buffer: inout ByteBuffer) {
        for line in wireLines(response) {
            buffer.writeString(line)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
    }

    /// The encoded response in a new buffer.
    static func buffer(_ response: Response, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        encode(response, into: &buffer)
        return buffer
    }

    /// The encoded response as a string.
    static func string(_ response: Response) -> String {
        wireLines(response).map { $0 + "\n" }.joined()
    }

    /// `OK`, `OK <info>` or `ERR <code> <message>`, single-line.
    static func statusLine(_ status: Response.Status) -> String {
        switch status {
        case .ok(let info):
            return info.isEmpty ? "OK" : singleLine("OK " + info)
        case .error(let code, let message):
            let code = ProtocolError.sanitizedCode(code)
            let message = message.isEmpty ? "error" : message
            return singleLine("ERR \(code) \(truncated(message, maxBytes: 1000))")
        }
    }

    /// A line starting with `.` gets one more `.` in front.
    static func dotStuffed(_ line: String) -> String {
        line.utf8.first == UInt8(ascii: ".") ? "." + line : line
    }

    /// `s` with every CR and LF replaced by a space.
    static func singleLine(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return s }
        var out = ""
        out.unicodeScalars.append(
            contentsOf: s.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
        return out
    }

    /// `s` cut to at most `maxBytes` UTF-8 bytes on a character boundary, with `…` appended when cut.
    static func truncated(_ s: String, maxBytes: Int) -> String {
        guard s.utf8.count > maxBytes else { return s }
        var out = ""
        var used = 0
        for ch in s {
            let n = ch.utf8.count
            if used + n > maxBytes { break }
            out.append(ch)
            used += n
        }
        return out + "…"
    }
}
