import TidegateLua

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error raised in Lua by an I/O binding (thrown from a method body: the engine raises its description, prefixed
/// with the caller's `chunk:line:` as `luaL_error` does).
struct LuaIOError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }

    init(_ message: String) {
        self.message = message
    }

    /// `luaL_argerror`: "bad argument #<n> to '<function>' (<detail>)".
    static func bad(_ position: Int, _ function: String, _ detail: String) -> LuaIOError {
        LuaIOError("bad argument #\(position) to '\(function)' (\(detail))")
    }

    /// `luaL_typeerror`.
    static func type(_ position: Int, _ function: String, expected: String, got value: LuaValue?) -> LuaIOError {
        .bad(position, function, "\(expected) expected, got \(value.map(LuaIOArgument.typeName) ?? "no value")")
    }
}

/// The conversions of the Lua auxiliary library (`luaL_checklstring`, `luaL_checkinteger`, `luaL_checknumber`) on
/// copied values. Positions in messages are Lua's (for a method, `self` is 1).
enum LuaIOArgument {
    static func typeName(_ value: LuaValue) -> String {
        switch value {
        case .nil: "nil"
        case .boolean: "boolean"
        case .integer, .number: "number"
        case .string: "string"
        case .table, .object: "table"
        case .function: "function"
        }
    }

    /// A string, or a number converted as Lua does.
    static func string(_ value: LuaValue?) -> [UInt8]? {
        switch value {
        case .string(let bytes)?: bytes
        case .integer(let number)?: Array(String(number).utf8)
        case .number(let number)?: Array(self.format(number).utf8)
        default: nil
        }
    }

    /// A number, or a string holding one.
    static func number(_ value: LuaValue?) -> Double? {
        switch value {
        case .integer(let number)?: Double(number)
        case .number(let number)?: number
        case .string(let bytes)?: self.parseNumber(bytes)
        default: nil
        }
    }

    /// An integer, a float with an exact integer value, or a string holding one.
    static func integer(_ value: LuaValue?) -> Int64? {
        switch value {
        case .integer(let number)?:
            return number
        case .number(let number)?:
            return self.exactInteger(number)
        case .string(let bytes)?:
            let text = self.trimmed(bytes)
            if let number = Int64(text) { return number }
            return self.parseNumber(bytes).flatMap(self.exactInteger)
        default:
            return nil
        }
    }

    static func exactInteger(_ number: Double) -> Int64? {
        guard number.rounded(.towardZero) == number, number >= -0x1p63, number < 0x1p63 else { return nil }
        return Int64(number)
    }

    private static func parseNumber(_ bytes: [UInt8]) -> Double? {
        let text = self.trimmed(bytes)
        guard !text.isEmpty else { return nil }
        return Double(text)
    }

    private static func trimmed(_ bytes: [UInt8]) -> String {
        let isSpace: (UInt8) -> Bool = { [9, 10, 11, 12, 13, 32].contains($0) }
        var slice = bytes[...]
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }

    /// Lua's float to string conversion ("%.14g", plus ".0" when it looks like an integer).
    private static func format(_ number: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([number]) { vsnprintf(&buffer, buffer.count, "%.14g", $0) }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.allSatisfy({ $0 == "-" || $0.isNumber }) {
            return text + ".0"
        }
        return text
    }
}
