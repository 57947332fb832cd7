import NIOCore

/// Why a message head was rejected.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let headTooLarge = Code(name: "head larger than the buffer")
        public static let tooManyHeaders = Code(name: "too many header fields")
        public static let invalidStartLine = Code(name: "invalid start line")
        public static let invalidMethod = Code(name: "invalid method")
        public static let invalidTarget = Code(name: "invalid request target")
        public static let invalidVersion = Code(name: "invalid or unsupported HTTP version")
        public static let invalidStatus = Code(name: "invalid status code")
        public static let invalidFieldName = Code(name: "invalid header field name")
        public static let invalidFieldValue = Code(name: "invalid header field value")
        public static let obsoleteLineFolding = Code(name: "obsolete line folding")
        public static let invalidContentLength = Code(name: "invalid Content-Length")
        public static let invalidTransferEncoding = Code(name: "invalid Transfer-Encoding")
        public static let invalidChunk = Code(name: "invalid chunked encoding")
    }

    public var code: Code
    /// Offset of the offending byte inside the head, when known.
    public var offset: Int

    public init(_ code: Code, offset: Int = 0) {
        self.code = code
        self.offset = offset
    }

    public var description: String { "\(code) at byte \(offset)" }
}

/// Incremental parser for one HTTP/1.x message head.
///
/// Feed it the connection's receive buffer each time bytes arrive; it remembers how far it scanned
/// so that a head arriving in many pieces is scanned once. On success it consumes the head from the
/// buffer and returns an indexed `HTTPHead`.
public struct HTTPHeadParser: Sendable {
    /// Largest head accepted (HAProxy: `tune.bufsize` minus `tune.maxrewrite`).
    public var maxHeadSize: Int
    /// Most header fields accepted (HAProxy: `tune.http.maxhdr`).
    public var maxFields: Int
    private var scanned = 0

    public init(maxHeadSize: Int = 16384 - 1024, maxFields: Int = 101) {
        self.maxHeadSize = maxHeadSize
        self.maxFields = maxFields
    }

    /// Forgets the scan position (call after a head was returned or the buffer was replaced).
    public mutating func reset() { scanned = 0 }

    /// Tries to parse a head at the start of `buffer`'s readable bytes.
    /// Returns nil when more bytes are needed; throws when the head is invalid or too large.
    public mutating func parse(_ buffer: inout ByteBuffer, kind: HTTPHead.Kind) throws(HTTPParseError) -> HTTPHead? {
        if kind == .request, scanned == 0 { skipLeadingEmptyLines(&buffer) }
        let readable = buffer.readableBytes
        guard readable > 0 else { return nil }
        // Find the end of the head: an empty line (CRLF CRLF or LF LF, bare LF tolerated as HAProxy does).
        let end: Int? = buffer.withUnsafeReadableBytes { raw -> Int? in
            var i = max(scanned, 1)
            while i < raw.count {
                if raw[i] == UInt8(ascii: "\n") {
                    if raw[i - 1] == UInt8(ascii: "\n") { return i + 1 }
                    if i >= 2, raw[i - 1] == UInt8(ascii: "\r"), raw[i - 2] == UInt8(ascii: "\n") { return i + 1 }
                }
                i += 1
            }
            return nil
        }
        guard let headLength = end else {
            if readable > maxHeadSize { throw HTTPParseError(.headTooLarge, offset: readable) }
            scanned = max(readable - 2, 0)
            return nil
        }
        scanned = 0
        if headLength > maxHeadSize { throw HTTPParseError(.headTooLarge, offset: headLength) }
        let storage = buffer.getSlice(at: buffer.readerIndex, length: headLength)!
        let head = try Self.index(storage, kind: kind, maxFields: maxFields)
        buffer.moveReaderIndex(forwardBy: headLength)
        return head
    }

    private func skipLeadingEmptyLines(_ buffer: inout ByteBuffer) {
        while let byte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
        {
            buffer.moveReaderIndex(forwardBy: 1)
        }
    }

    /// Validates and indexes a complete head held in `storage` (from index 0).
    static func index(_ storage: ByteBuffer, kind: HTTPHead.Kind, maxFields: Int) throws(HTTPParseError) -> HTTPHead {
        let result: Result<HTTPHead, HTTPParseError> = storage.withUnsafeReadableBytes { raw in
            do throws(HTTPParseError) {
                var cursor = 0
                let startLine: (HTTPHead.Span, HTTPHead.Span, HTTPHead.Span)
                var minor = 1
                var status = 0
                switch kind {
                case .request:
                    let method = try token(raw, &cursor, until: UInt8(ascii: " "), error: .invalidMethod)
                    let target = try requestTarget(raw, &cursor)
                    let version = try lineRest(raw, &cursor)
                    minor = try versionMinor(raw, version, error: .invalidVersion)
                    startLine = (method, target, version)
                case .response:
                    // Not `token`: the version contains "/", which is not a token character.
                    let versionStart = cursor
                    while cursor < raw.count, raw[cursor] > 0x20, raw[cursor] != 0x7f { cursor += 1 }
                    guard cursor > versionStart, cursor < raw.count, raw[cursor] == UInt8(ascii: " ") else {
                        throw HTTPParseError(.invalidVersion, offset: cursor)
                    }
                    let version = HTTPHead.Span(start: versionStart, length: cursor - versionStart)
                    cursor += 1
                    minor = try versionMinor(raw, version, error: .invalidVersion)
                    let codeStart = cursor
                    var code = 0
                    while cursor < raw.count, raw[cursor] &- 48 < 10, cursor - codeStart < 3 {
                        code = code * 10 + Int(raw[cursor] &- 48)
                        cursor += 1
                    }
                    // Exactly three digits, then SP (or the end of the line when there is no reason).
                    guard cursor - codeStart == 3, code >= 100, cursor < raw.count,
                        raw[cursor] == UInt8(ascii: " ") || raw[cursor] == UInt8(ascii: "\r")
                            || raw[cursor] == UInt8(ascii: "\n")
                    else {
                        throw HTTPParseError(.invalidStatus, offset: cursor)
                    }
                    let codeSpan = HTTPHead.Span(start: codeStart, length: 3)
                    if cursor < raw.count, raw[cursor] == UInt8(ascii: " ") { cursor += 1 }
                    let reason = try lineRest(raw, &cursor)
                    status = code
                    startLine = (version, codeSpan, reason)
                }
                var fields: [HTTPHead.Field] = []
                fields.reserveCapacity(16)
                var known: HTTPHead.KnownFields = []
                while true {
                    // End of head?
                    if raw[cursor] == UInt8(ascii: "\n") { break }
                    if raw[cursor] == UInt8(ascii: "\r"), cursor + 1 < raw.count, raw[cursor + 1] == UInt8(ascii: "\n") {
                        break
                    }
                    if raw[cursor] == UInt8(ascii: " ") || raw[cursor] == UInt8(ascii: "\t") {
                        throw HTTPParseError(.obsoleteLineFolding, offset: cursor)
                    }
                    guard fields.count < maxFields else { throw HTTPParseError(.tooManyHeaders, offset: cursor) }
                    let name = try token(raw, &cursor, until: UInt8(ascii: ":"), error: .invalidFieldName)
                    known.formUnion(HTTPHead.KnownFields.classify(UnsafeRawBufferPointer(rebasing: raw[name.range])))
                    while cursor < raw.count, raw[cursor] == UInt8(ascii: " ") || raw[cursor] == UInt8(ascii: "\t") {
                        cursor += 1
                    }
                    let valueStart = cursor
                    var valueEnd = cursor
                    while true {
                        guard cursor < raw.count else { throw HTTPParseError(.invalidFieldValue, offset: cursor) }
                        let byte = raw[cursor]
                        if byte == UInt8(ascii: "\n") { cursor += 1; break }
                        if byte == UInt8(ascii: "\r") {
                            guard cursor + 1 < raw.count, raw[cursor + 1] == UInt8(ascii: "\n") else {
                                throw HTTPParseError(.invalidFieldValue, offset: cursor)
                            }
                            cursor += 2
                            break
                        }
                        if byte == 0 || (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7f {
                            throw HTTPParseError(.invalidFieldValue, offset: cursor)
                        }
                        cursor += 1
                        if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") { valueEnd = cursor }
                    }
                    fields.append(
                        HTTPHead.Field(
                            name: name, value: HTTPHead.Span(start: valueStart, length: valueEnd - valueStart)))
                }
                return .success(
                    HTTPHead(
                        kind: kind, storage: storage, receivedLength: raw.count, startLine: startLine,
                        versionMinor: minor, status: status, fields: fields, knownFields: known))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Reads a non-empty run of token characters ended by `terminator`, consuming the terminator.
    private static func token(
        _ raw: UnsafeRawBufferPointer, _ cursor: inout Int, until terminator: UInt8, error: HTTPParseError.Code
    ) throws(HTTPParseError) -> HTTPHead.Span {
        let start = cursor
        while cursor < raw.count, isTokenByte(raw[cursor]) { cursor += 1 }
        guard cursor > start, cursor < raw.count, raw[cursor] == terminator else {
            throw HTTPParseError(error, offset: cursor)
        }
        cursor += 1
        return HTTPHead.Span(start: start, length: cursor - 1 - start)
    }

    private static func requestTarget(_ raw: UnsafeRawBufferPointer, _ cursor: inout Int) throws(HTTPParseError)
        -> HTTPHead.Span
    {
        let start = cursor
        while cursor < raw.count {
            let byte = raw[cursor]
            if byte == UInt8(ascii: " ") { break }
            // The line ends after the target: an HTTP/0.9 request, which has no version.
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n"), cursor > start {
                throw HTTPParseError(.invalidVersion, offset: cursor)
            }
            if byte <= 0x20 || byte == 0x7f { throw HTTPParseError(.invalidTarget, offset: cursor) }
            cursor += 1
        }
        guard cursor > start, cursor < raw.count else { throw HTTPParseError(.invalidTarget, offset: cursor) }
        cursor += 1
        return HTTPHead.Span(start: start, length: cursor - 1 - start)
    }

    /// The rest of the start line up to CRLF or LF, which is consumed.
    private static func lineRest(_ raw: UnsafeRawBufferPointer, _ cursor: inout Int) throws(HTTPParseError)
        -> HTTPHead.Span
    {
        let start = cursor
        while cursor < raw.count {
            let byte = raw[cursor]
            if byte == UInt8(ascii: "\n") {
                let end = cursor > start && raw[cursor - 1] == UInt8(ascii: "\r") ? cursor - 1 : cursor
                cursor += 1
                return HTTPHead.Span(start: start, length: end - start)
            }
            // CR only as part of the CRLF ending the line: a bare CR could end the line downstream.
            if byte == UInt8(ascii: "\r"), cursor + 1 < raw.count, raw[cursor + 1] == UInt8(ascii: "\n") {
                cursor += 1
                continue
            }
            if byte < 0x20 && byte != UInt8(ascii: "\t") {
                throw HTTPParseError(.invalidStartLine, offset: cursor)
            }
            cursor += 1
        }
        throw HTTPParseError(.invalidStartLine, offset: cursor)
    }

    private static func versionMinor(
        _ raw: UnsafeRawBufferPointer, _ span: HTTPHead.Span, error: HTTPParseError.Code
    ) throws(HTTPParseError) -> Int {
        let s = Int(span.start)
        guard span.length == 8, raw[s] == UInt8(ascii: "H"), raw[s + 1] == UInt8(ascii: "T"),
            raw[s + 2] == UInt8(ascii: "T"), raw[s + 3] == UInt8(ascii: "P"), raw[s + 4] == UInt8(ascii: "/"),
            raw[s + 5] == UInt8(ascii: "1"), raw[s + 6] == UInt8(ascii: "."), raw[s + 7] &- 48 < 10
        else { throw HTTPParseError(error, offset: s) }
        return Int(raw[s + 7] &- 48)
    }
}

/// RFC 9110 `tchar`, as two 64-bit masks over ASCII (no table, no lazy global on the hot path).
@inline(__always) func isTokenByte(_ byte: UInt8) -> Bool {
    if byte < 64 { return (tokenMaskLow >> UInt64(byte)) & 1 != 0 }
    if byte < 128 { return (tokenMaskHigh >> UInt64(byte - 64)) & 1 != 0 }
    return false
}

/// Bytes 0-63 that are token characters: ! # $ % & ' * + - . and 0-9.
private let tokenMaskLow: UInt64 = 0x03ff6cfa00000000

/// Bytes 64-127 that are token characters: A-Z ^ _ ` a-z | ~.
private let tokenMaskHigh: UInt64 = 0x57ffffffc7fffffe
