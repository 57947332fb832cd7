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
    static func typeName(_ value: LuaValue) -> String { LuaArguments.typeName(value) }

    /// A string, or a number converted as Lua does.
    static func string(_ value: LuaValue?) -> [UInt8]? {
        switch value {
        case .string(let bytes)?: bytes
        case .integer(let number)?: Array(String(number).utf8)
        case .number(let number)?: Array(LuaArguments.format(number).utf8)
        default: nil
        }
    }

    /// A number, or a string holding one.
    static func number(_ value: LuaValue?) -> Double? {
        switch value {
        case .integer(let number)?: Double(number)
        case .number(let number)?: number
        case .string(let bytes)?:
            switch LuaArguments.number(from: bytes) {
            case .integer(let number)?: Double(number)
            case .number(let number)?: number
            default: nil
            }
        default: nil
        }
    }

    /// An integer, a float with an exact integer value, or a string holding one.
    static func integer(_ value: LuaValue?) -> Int64? {
        switch value {
        case .integer(let number)?:
            return number
        case .number(let number)?:
            return LuaArguments.exactInteger(number)
        case .string(let bytes)?:
            switch LuaArguments.number(from: bytes) {
            case .integer(let number)?: return number
            case .number(let number)?: return LuaArguments.exactInteger(number)
            default: return nil
            }
        default:
            return nil
        }
    }
}
