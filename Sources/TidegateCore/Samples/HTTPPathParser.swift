/// The request-target path rules shared by fetches and log variables.
enum HTTPPathParser {
    static func pathRange(_ raw: UnsafeRawBufferPointer) -> Range<Int>? {
        var start = 0
        if raw.count == 0 { return nil }
        if raw[0] != UInt8(ascii: "/") {
            var i = 0
            while i < raw.count, raw[i] != UInt8(ascii: ":"), raw[i] != UInt8(ascii: "/") { i += 1 }
            guard i + 2 < raw.count, raw[i] == UInt8(ascii: ":"), raw[i + 1] == UInt8(ascii: "/"),
                raw[i + 2] == UInt8(ascii: "/")
            else { return nil }
            i += 3
            while i < raw.count, raw[i] != UInt8(ascii: "/"), raw[i] != UInt8(ascii: "?") { i += 1 }
            guard i < raw.count, raw[i] == UInt8(ascii: "/") else { return nil }
            start = i
        }
        var end = start
        while end < raw.count, raw[end] != UInt8(ascii: "?") { end += 1 }
        return start..<end
    }
}
