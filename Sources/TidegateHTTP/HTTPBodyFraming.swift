/// How the body that follows a message head is delimited (RFC 9112 §6).
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body.
    case none
    /// Exactly this many bytes.
    case length(UInt64)
    /// Chunked transfer coding; the chunks are forwarded as they arrive.
    case chunked
    /// Until the sender closes (responses only).
    case untilClose
}

/// What the connection-related header fields of a head ask for.
public struct HTTPConnectionOptions: Sendable, Equatable {
    /// The sender wants the connection closed after this message.
    public var close: Bool
    /// `Connection: keep-alive` was present (meaningful for HTTP/1.0).
    public var keepAlive: Bool
    /// `Connection: upgrade` with an `Upgrade` field.
    public var upgrade: Bool
}

extension HTTPHead {
    /// The connection options of this head, with HTTP/1.0 defaulting to close.
    public var connectionOptions: HTTPConnectionOptions {
        var options = HTTPConnectionOptions(close: false, keepAlive: false, upgrade: false)
        guard knownFields.contains(.connection) else {
            options.close = versionMinor == 0
            return options
        }
        for i in fields.indices where field(i, isNamed: "connection") {
            for part in value(at: i).split(separator: ",") {
                switch trimOWS(part).lowercased() {
                case "close": options.close = true
                case "keep-alive": options.keepAlive = true
                case "upgrade": options.upgrade = true
                default: break
                }
            }
        }
        if options.upgrade && firstIndex(named: "upgrade") == nil { options.upgrade = false }
        if versionMinor == 0 && !options.keepAlive { options.close = true }
        return options
    }

    /// Body framing of a request (RFC 9112 §6.3). Normalises the head as HAProxy does: when both
    /// Transfer-Encoding and Content-Length are present, Content-Length is removed.
    public mutating func requestFraming() throws(HTTPParseError) -> HTTPBodyFraming {
        if let chunked = try transferEncodingIsChunked() {
            guard chunked, versionMinor >= 1 else { throw HTTPParseError(.invalidTransferEncoding) }
            if firstIndex(named: "content-length") != nil { remove(named: "content-length") }
            return .chunked
        }
        if let length = try contentLength() { return length == 0 ? .none : .length(length) }
        return .none
    }

    /// Body framing of a response to a request with method `HEAD` (`isHeadRequest`) or otherwise.
    public mutating func responseFraming(isHeadRequest: Bool) throws(HTTPParseError) -> HTTPBodyFraming {
        if isHeadRequest || (status >= 100 && status < 200) || status == 204 || status == 304 {
            return .none
        }
        if let chunked = try transferEncodingIsChunked() {
            if firstIndex(named: "content-length") != nil { remove(named: "content-length") }
            return chunked ? .chunked : .untilClose
        }
        if let length = try contentLength() { return length == 0 ? .none : .length(length) }
        return .untilClose
    }

    /// nil when there is no Transfer-Encoding; otherwise whether `chunked` is its final coding.
    /// `chunked` applied twice is invalid. `chunked` before another coding is not chunked framing:
    /// the request callers reject it, a response is then read until close (RFC 9112 §6.3, as HAProxy).
    private func transferEncodingIsChunked() throws(HTTPParseError) -> Bool? {
        guard knownFields.contains(.transferEncoding) else { return nil }
        var seen = false
        var chunkedSeen = false
        var lastIsChunked = false
        for i in fields.indices where field(i, isNamed: "transfer-encoding") {
            for part in value(at: i).split(separator: ",") {
                let coding = trimOWS(part).lowercased()
                if coding.isEmpty { continue }
                seen = true
                lastIsChunked = coding == "chunked"
                if lastIsChunked {
                    if chunkedSeen { throw HTTPParseError(.invalidTransferEncoding) }
                    chunkedSeen = true
                }
            }
        }
        return seen ? lastIsChunked : nil
    }

    /// The Content-Length, requiring every occurrence (and list member) to agree.
    private func contentLength() throws(HTTPParseError) -> UInt64? {
        guard knownFields.contains(.contentLength) else { return nil }
        var result: UInt64?
        for i in fields.indices where field(i, isNamed: "content-length") {
            // Parse the bytes in place: digits, optionally a comma-separated list of equal values.
            var current: UInt64 = 0
            var digits = 0
            var sawSpaceAfter = false
            func finish() throws(HTTPParseError) {
                guard digits > 0 else { throw HTTPParseError(.invalidContentLength) }
                if let result, result != current { throw HTTPParseError(.invalidContentLength) }
                result = current
                current = 0
                digits = 0
                sawSpaceAfter = false
            }
            for byte in valueBytes(at: i) {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard !sawSpaceAfter, digits < 19 else { throw HTTPParseError(.invalidContentLength) }
                    current = current * 10 + UInt64(byte - UInt8(ascii: "0"))
                    digits += 1
                case UInt8(ascii: ","):
                    try finish()
                case UInt8(ascii: " "), UInt8(ascii: "\t"):
                    if digits > 0 { sawSpaceAfter = true }
                default:
                    throw HTTPParseError(.invalidContentLength)
                }
            }
            try finish()
        }
        return result
    }
}
