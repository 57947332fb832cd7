import TidegateLua

/// What an `HTTPClient` request returns to Lua: `{status=, reason=, headers=, body=}`, status 0 and the error as
/// reason when the request failed inside the client (connection, timeout, invalid URL or response).
struct LuaHTTPClientResponse: Sendable, Equatable {
    var status: Int
    var reason: String
    /// Names lowercased, in received order.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    static func failure(_ reason: String) -> LuaHTTPClientResponse {
        LuaHTTPClientResponse(status: 0, reason: reason, headers: [], body: [])
    }

    static func == (lhs: LuaHTTPClientResponse, rhs: LuaHTTPClientResponse) -> Bool {
        lhs.status == rhs.status && lhs.reason == rhs.reason && lhs.body == rhs.body
            && lhs.headers.elementsEqual(rhs.headers, by: { $0 == $1 })
    }

    /// The Lua table. As HAProxy does (`hlua_httpclient_get_headers`), each header maps to a table whose first
    /// value is at index 0 and the next ones at 1, 2...
    var luaValue: LuaValue {
        var headers: [LuaValue: LuaTable] = [:]
        for (name, value) in self.headers {
            let key = LuaValue(name)
            if var values = headers[key] {
                values.array.append(LuaValue(value))
                headers[key] = values
            } else {
                headers[key] = LuaTable(hash: [0: LuaValue(value)])
            }
        }
        return .table(
            LuaTable(hash: [
                "status": .integer(Int64(self.status)),
                "reason": LuaValue(self.reason),
                "headers": .table(LuaTable(hash: headers.mapValues { .table($0) })),
                "body": .string(self.body),
            ]))
    }
}

/// Decodes a complete chunked body (already checked by `ChunkedBodyScanner`): the chunks' data, without sizes,
/// extensions and trailers.
enum LuaChunkedBody {
    static func decode(_ raw: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < raw.count {
            var size = 0
            while index < raw.count, let digit = self.hexValue(raw[index]) {
                size = size &* 16 &+ digit
                index += 1
            }
            // Skip extensions up to the end of the size line.
            while index < raw.count, raw[index] != UInt8(ascii: "\n") {
                index += 1
            }
            index += 1
            guard size > 0, index < raw.count else { break }
            let end = min(index + size, raw.count)
            output.append(contentsOf: raw[index..<end])
            index = end
            if index < raw.count, raw[index] == UInt8(ascii: "\r") { index += 1 }
            if index < raw.count, raw[index] == UInt8(ascii: "\n") { index += 1 }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
