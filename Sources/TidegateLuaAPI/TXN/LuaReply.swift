import NIOCore
import TidegateCore
import TidegateHTTP
import TidegateLua

/// Replies (`txn:reply{}`): Lua tables with fields `status`, `reason`, `headers` (name → 1-based list of values)
/// and `body`, and methods `set_status`, `add_header`, `del_header`, `set_body` (Lua functions of the prelude, as
/// a Reply is a plain table in HAProxy). This type turns one into the bytes `txn:done(reply)` sends.
public enum LuaReply {
    /// HAProxy's `hlua_txn_forward_reply`: the status line (`HTTP/1.x <status> <reason>`), the headers (string or
    /// number keys with list values; `content-length` skipped), then `content-length` with the body's length, or
    /// with a `transfer-encoding: chunked` header the body as one chunk. A non-number status is 200; a
    /// non-string reason is the status's standard phrase; a non-string body is empty. Header names are written
    /// in sorted order (HAProxy writes them in Lua's table order, which is unspecified).
    public static func localResponse(_ reply: LuaTable, httpVersionMinor: Int) -> LocalResponse {
        var status = 200
        switch reply["status"] {
        case .integer(let value): status = Int(clamping: value)
        case .number(let value): status = Int(clamping: LuaArguments.exactInteger(value) ?? 0)
        default: break
        }
        let reason: [UInt8]
        if case .string(let text) = reply["reason"] {
            reason = text
        } else {
            reason = Array(HTTPStatusPhrase.phrase(for: status).utf8)
        }
        var body: [UInt8] = []
        if case .string(let bytes) = reply["body"] { body = bytes }

        var out = ByteBuffer()
        out.writeString(httpVersionMinor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        out.writeString(String(status))
        out.writeInteger(UInt8(ascii: " "))
        out.writeBytes(reason)
        out.writeStaticString("\r\n")
        var chunked = false
        if case .table(let headers) = reply["headers"] {
            for (name, values) in self.headerLists(headers) {
                if asciiLowercased(name) == Array("content-length".utf8) { continue }
                let isTransferEncoding = asciiLowercased(name) == Array("transfer-encoding".utf8)
                for value in values {
                    if isTransferEncoding, self.hasChunked(asciiLowercased(value)) {
                        chunked = true
                    }
                    out.writeBytes(name)
                    out.writeStaticString(": ")
                    out.writeBytes(value)
                    out.writeStaticString("\r\n")
                }
            }
        }
        if chunked {
            out.writeStaticString("\r\n")
            if !body.isEmpty {
                out.writeString(String(body.count, radix: 16))
                out.writeStaticString("\r\n")
                out.writeBytes(body)
                out.writeStaticString("\r\n")
            }
            out.writeStaticString("0\r\n\r\n")
        } else {
            out.writeString("content-length: \(body.count)\r\n\r\n")
            out.writeBytes(body)
        }
        return .raw(status: status, out, close: false)
    }

    /// The `(name, values)` pairs of a reply's `headers` table, names sorted; values that are not strings or
    /// numbers are skipped, as are entries whose value is not a table.
    static func headerLists(_ headers: LuaTable) -> [(name: [UInt8], values: [[UInt8]])] {
        var lists: [(name: [UInt8], values: [[UInt8]])] = []
        var entries: [(LuaValue, LuaValue)] = headers.hash.map { ($0.key, $0.value) }
        for (index, value) in headers.array.enumerated() {
            entries.append((.integer(Int64(index + 1)), value))
        }
        for (key, value) in entries {
            guard let name = self.text(key), case .table(let list) = value else { continue }
            var values: [[UInt8]] = list.array.compactMap(self.text)
            let extra = list.hash.compactMap { entry -> (LuaValue, [UInt8])? in
                self.text(entry.value).map { (entry.key, $0) }
            }
            values += extra.sorted { "\($0.0)" < "\($1.0)" }.map(\.1)
            lists.append((name, values))
        }
        return lists.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// `lua_isstring` + `lua_tolstring`: strings, and numbers as Lua writes them.
    static func text(_ value: LuaValue) -> [UInt8]? {
        switch value {
        case .string(let bytes): bytes
        case .integer(let number): Array(String(number).utf8)
        case .number(let number): Array(LuaArguments.format(number).utf8)
        default: nil
        }
    }

    /// Whether a lowercased `transfer-encoding` value lists `chunked`.
    private static func hasChunked(_ value: [UInt8]) -> Bool {
        value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).contains { element in
            element.drop { $0 == 32 || $0 == 9 }.reversed().drop { $0 == 32 || $0 == 9 }.reversed()
                .elementsEqual("chunked".utf8)
        }
    }

    private static func asciiLowercased(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { $0 &- 65 < 26 ? $0 | 0x20 : $0 }
    }
}
