import NIOCore

/// Follows a chunked body (RFC 9112 §7.1) byte by byte without copying it, so the proxy can
/// forward the bytes exactly as received and know where the message ends.
public struct ChunkedBodyScanner: Sendable {
    private enum State: Sendable {
        case size, sizeWhitespace, extensions, sizeLF
        case data(UInt64)
        case dataCR, dataLF
        case trailerLineStart, trailerLine, trailerLF, lastLF
        case done
    }

    private var state: State = .size
    private var size: UInt64 = 0
    private var sizeDigits = 0

    public init() {}

    /// Whether the final chunk and trailer section were seen.
    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Consumes bytes from `bytes`; returns how many belong to this body (stops at its end).
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(HTTPParseError) -> Int {
        var none: ByteBuffer? = nil
        return try scan(bytes, data: &none)
    }

    /// Like `scan(_:)`, and appends the chunks' data (the decoded body) to `body`.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, into body: inout ByteBuffer) throws(HTTPParseError) -> Int {
        var output: ByteBuffer? = body
        body = ByteBuffer()  // keep the storage uniquely referenced while it grows
        defer { body = output ?? ByteBuffer() }
        return try scan(bytes, data: &output)
    }

    private mutating func scan(
        _ bytes: UnsafeRawBufferPointer, data: inout ByteBuffer?
    ) throws(HTTPParseError) -> Int {
        var i = 0
        let n = bytes.count
        while i < n {
            let byte = bytes[i]
            switch state {
            case .size:
                if let digit = hexValue(byte) {
                    sizeDigits += 1
                    guard sizeDigits <= 15 else { throw HTTPParseError(.invalidChunk, offset: i) }
                    size = size << 4 | UInt64(digit)
                } else if sizeDigits > 0 && byte == UInt8(ascii: ";") {
                    state = .extensions
                } else if sizeDigits > 0 && (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) {
                    state = .sizeWhitespace
                } else if sizeDigits > 0 && byte == UInt8(ascii: "\r") {
                    state = .sizeLF
                } else if sizeDigits > 0 && byte == UInt8(ascii: "\n") {
                    endOfSizeLine()
                } else {
                    throw HTTPParseError(.invalidChunk, offset: i)
                }
                i += 1
            case .sizeWhitespace:
                // Whitespace after the size may only lead to an extension or the end of the line.
                if byte == UInt8(ascii: ";") {
                    state = .extensions
                } else if byte == UInt8(ascii: "\r") {
                    state = .sizeLF
                } else if byte == UInt8(ascii: "\n") {
                    endOfSizeLine()
                } else if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") {
                    throw HTTPParseError(.invalidChunk, offset: i)
                }
                i += 1
            case .extensions:
                if byte == UInt8(ascii: "\r") {
                    state = .sizeLF
                } else if byte == UInt8(ascii: "\n") {
                    endOfSizeLine()
                } else if byte < 0x20 && byte != UInt8(ascii: "\t") {
                    throw HTTPParseError(.invalidChunk, offset: i)
                }
                i += 1
            case .sizeLF:
                guard byte == UInt8(ascii: "\n") else { throw HTTPParseError(.invalidChunk, offset: i) }
                endOfSizeLine()
                i += 1
            case .data(let remaining):
                let take = Int(min(remaining, UInt64(n - i)))
                data?.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
                i += take
                let left = remaining - UInt64(take)
                state = left == 0 ? .dataCR : .data(left)
            case .dataCR:
                if byte == UInt8(ascii: "\r") {
                    state = .dataLF
                } else if byte == UInt8(ascii: "\n") {
                    state = .size
                } else {
                    throw HTTPParseError(.invalidChunk, offset: i)
                }
                i += 1
            case .dataLF:
                guard byte == UInt8(ascii: "\n") else { throw HTTPParseError(.invalidChunk, offset: i) }
                state = .size
                i += 1
            case .trailerLineStart:
                if byte == UInt8(ascii: "\r") {
                    state = .lastLF
                } else if byte == UInt8(ascii: "\n") {
                    state = .done
                    return i + 1
                } else {
                    state = .trailerLine
                }
                i += 1
            case .trailerLine:
                if byte == UInt8(ascii: "\r") {
                    state = .trailerLF
                } else if byte == UInt8(ascii: "\n") {
                    state = .trailerLineStart
                }
                i += 1
            case .trailerLF:
                guard byte == UInt8(ascii: "\n") else { throw HTTPParseError(.invalidChunk, offset: i) }
                state = .trailerLineStart
                i += 1
            case .lastLF:
                guard byte == UInt8(ascii: "\n") else { throw HTTPParseError(.invalidChunk, offset: i) }
                state = .done
                return i + 1
            case .done:
                return i
            }
        }
        return i
    }

    private mutating func endOfSizeLine() {
        if size == 0 {
            state = .trailerLineStart
        } else {
            state = .data(size)
        }
        size = 0
        sizeDigits = 0
    }

    @inline(__always) private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
