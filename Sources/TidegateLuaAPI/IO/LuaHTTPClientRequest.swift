import NIOCore
import TidegateLua

/// One request of `HTTPClient:get{...}` (and head, put, post, delete), read from its Lua table with HAProxy's
/// checks and messages (`src/hlua_httpclient.c` hlua_httpclient_send).
struct LuaHTTPClientRequest: Sendable {
    var method: String
    var url: String
    /// Field names and values in the order they are sent.
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    /// `dst`: where to connect instead of the URL's host.
    var destination: LuaConnectTarget?
    /// `timeout`, in milliseconds.
    var timeoutMilliseconds: Int64?

    /// Reads the argument table of `method`; throws the error HAProxy raises for a malformed one.
    init(method: String, arguments: [LuaValue]) throws(LuaIOError) {
        guard arguments.count == 1, case .table(let table) = arguments[0] else {
            throw LuaIOError("'get' needs a table as argument")
        }
        self.method = method
        var url: String?
        // Array entries are keys 1...n: never valid names.
        if !table.array.isEmpty {
            throw LuaIOError("'1' invalid parameter name")
        }
        for (key, value) in table.hash.sorted(by: { Self.keyText($0.key) < Self.keyText($1.key) }) {
            switch key.stringValue {
            case "dst":
                guard let text = LuaIOArgument.string(value),
                    let target = try? LuaConnectTarget.parse(String(decoding: text, as: UTF8.self), port: nil)
                else { throw LuaIOError("Can't use the 'dst' argument") }
                self.destination = target
            case "url":
                guard case .string(let bytes) = value else {
                    throw LuaIOError("invalid parameter in 'url', must be a string")
                }
                url = String(decoding: bytes, as: UTF8.self)
            case "timeout":
                switch value {
                case .integer(let milliseconds): self.timeoutMilliseconds = milliseconds
                case .number(let milliseconds): self.timeoutMilliseconds = LuaArguments.exactInteger(milliseconds) ?? 0
                default: throw LuaIOError("invalid parameter in 'timeout', must be a number")
                }
            case "headers":
                guard case .table(let headers) = value else {
                    throw LuaIOError("invalid parameter in 'headers', must be a table")
                }
                self.headers = Self.headerFields(headers)
            case "body":
                guard case .string(let bytes) = value else {
                    throw LuaIOError("invalid parameter in 'body', must be a string")
                }
                self.body = bytes
            default:
                throw LuaIOError("'\(Self.keyText(key))' invalid parameter name")
            }
        }
        guard let url else { throw LuaIOError("'get' need a 'url' argument") }
        self.url = url
    }

    private static func keyText(_ key: LuaValue) -> String {
        LuaIOArgument.string(key).map { String(decoding: $0, as: UTF8.self) } ?? "(null)"
    }

    /// `{name={v1, v2...}}`: entries whose key is not a string (or number) or whose value is not a table are
    /// skipped, as are values that are not strings (or numbers). Names are sorted, values keep their order.
    private static func headerFields(_ table: LuaTable) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        let entries =
            table.array.enumerated().map { (LuaValue.integer(Int64($0.offset + 1)), $0.element) }
            + table.hash.map { ($0.key, $0.value) }
        for (key, value) in entries.sorted(by: { Self.keyText($0.0) < Self.keyText($1.0) }) {
            guard let name = LuaIOArgument.string(key), case .table(let values) = value else { continue }
            let ordered = values.array + values.hash.sorted { Self.keyText($0.key) < Self.keyText($1.key) }.map(\.value)
            for value in ordered {
                guard let text = LuaIOArgument.string(value) else { continue }
                fields.append((String(decoding: name, as: UTF8.self), String(decoding: text, as: UTF8.self)))
            }
        }
        return fields
    }
}

/// An `http://` or `https://` URL split for a request.
struct LuaHTTPClientURL: Equatable {
    /// `https://`.
    var isTLS = false
    /// The host without brackets.
    var host: String
    var port: Int
    /// The `Host` field: the authority as written (without user information).
    var authority: String
    /// The request target: path and query.
    var target: String

    enum ParseError: Error, Equatable {
        case invalid
    }

    static func parse(_ text: String) throws(ParseError) -> LuaHTTPClientURL {
        let lowered = text.lowercased()
        let isTLS = lowered.hasPrefix("https://")
        guard isTLS || lowered.hasPrefix("http://") else { throw .invalid }
        var rest = Substring(text.dropFirst(isTLS ? "https://".count : "http://".count))
        if let hash = rest.firstIndex(of: "#") {
            rest = rest[..<hash]
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty {
            target = "/"
        } else if target.hasPrefix("?") {
            target = "/" + target
        }
        if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        }
        guard !authority.isEmpty, !target.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) else {
            throw .invalid
        }
        var host = authority
        var port = isTLS ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalid }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":", let value = Int(after.dropFirst()), (1...65535).contains(value) else {
                    throw .invalid
                }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            let portText = authority[authority.index(after: colon)...]
            if !portText.isEmpty {
                guard let value = Int(portText), (1...65535).contains(value) else { throw .invalid }
                port = value
            }
        }
        guard !host.isEmpty,
            host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:%".contains($0)) })
        else { throw .invalid }
        return LuaHTTPClientURL(
            isTLS: isTLS, host: String(host), port: port, authority: String(authority), target: target)
    }
}

extension LuaHTTPClientRequest {
    /// The TLS server name of an https request: as HAProxy, the `host` field without its port when the request
    /// has one, else the URL's host.
    func serverName(url: LuaHTTPClientURL) -> String {
        guard let host = self.headers.last(where: { $0.name.lowercased() == "host" })?.value else { return url.host }
        let name = host.prefix { $0 != ":" }
        return String(name.drop { $0 == " " || $0 == "\t" })
    }

    /// The request as sent: HTTP/1.1 with `host` (from the URL unless given), `content-length` for a body (unless
    /// given) and `connection: close`; nil if a field name or value holds a forbidden byte.
    func encoded(url: LuaHTTPClientURL) -> ByteBuffer? {
        var buffer = ByteBuffer()
        buffer.writeString("\(self.method) \(url.target) HTTP/1.1\r\n")
        var hasHost = false
        var hasLength = false
        var hasConnection = false
        for (name, value) in self.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte),
                !value.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D })
            else { return nil }
            switch name.lowercased() {
            case "host": hasHost = true
            case "content-length", "transfer-encoding": hasLength = true
            case "connection": hasConnection = true
            default: break
            }
            buffer.writeString("\(name): \(value)\r\n")
        }
        if !hasHost {
            buffer.writeString("host: \(url.authority)\r\n")
        }
        if !hasLength, !self.body.isEmpty || self.method == "POST" || self.method == "PUT" {
            buffer.writeString("content-length: \(self.body.count)\r\n")
        }
        if !hasConnection {
            buffer.writeString("connection: close\r\n")
        }
        buffer.writeString("\r\n")
        buffer.writeBytes(self.body)
        return buffer
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
