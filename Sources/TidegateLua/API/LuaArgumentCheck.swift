#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Argument checks for Swift functions of the HAProxy API, with the messages of the Lua auxiliary library
/// (`luaL_checkinteger`, `luaL_checkstring`, `luaL_argerror`) and of HAProxy's `check_args`. Positions are 1-based
/// as Lua counts them (for a method, `self` is argument 1). Thrown from a Swift function, the error is raised like
/// `LuaFunctionResult.error`, prefixed with the caller's `chunk:line:` as `luaL_error` does.
public struct LuaArgumentError: Error, CustomStringConvertible {
    public let message: String

    public init(message: String) {
        self.message = message
    }
    /// What the engine raises for a thrown error (`"\(error)"`).
    public var description: String { self.message }

    /// `luaL_argerror`: "bad argument #<n> to '<function>' (<detail>)".
    public static func bad(_ position: Int, _ function: String, _ detail: String) -> LuaArgumentError {
        LuaArgumentError(message: "bad argument #\(position) to '\(function)' (\(detail))")
    }

    /// HAProxy's `check_args`: "'<function>' needs <n> arguments".
    public static func arity(_ function: String, _ count: Int) -> LuaArgumentError {
        LuaArgumentError(message: "'\(function)' needs \(count) arguments")
    }
}

public struct LuaArguments {
    public let values: [LuaValue]
    /// The function name used in messages.
    public let function: String
    /// Lua position of `values[0]` (2 for methods: `self` is 1).
    public let firstPosition: Int

    public init(_ values: [LuaValue], function: String, firstPosition: Int = 1) {
        self.values = values
        self.function = function
        self.firstPosition = firstPosition
    }

    public var count: Int { self.values.count }

    /// `check_args(L, n, name)`: the exact count (self included for methods).
    public func requireCount(_ count: Int) throws(LuaArgumentError) {
        guard self.values.count + self.firstPosition - 1 == count else {
            throw .arity(self.function, count)
        }
    }

    /// `luaL_checklstring`: a string, or a number converted as Lua does.
    public func string(_ index: Int) throws(LuaArgumentError) -> [UInt8] {
        let value: LuaValue? = index < self.values.count ? self.values[index] : Optional.none
        switch value {
        case .string(let bytes)?:
            return bytes
        case .integer(let number)?:
            return Array(String(number).utf8)
        case .number(let number)?:
            return Array(LuaArguments.format(number).utf8)
        default:
            throw self.typeError(index, expected: "string")
        }
    }

    /// `luaL_checkinteger`: an integer, a float with an exact integer value, or a string convertible to one.
    public func integer(_ index: Int) throws(LuaArgumentError) -> Int64 {
        let value: LuaValue? = index < self.values.count ? self.values[index] : Optional.none
        switch value {
        case .integer(let number)?:
            return number
        case .number(let number)?:
            guard let exact = LuaArguments.exactInteger(number) else {
                throw .bad(index + self.firstPosition, self.function, "number has no integer representation")
            }
            return exact
        case .string(let bytes)?:
            switch LuaArguments.number(from: bytes) {
            case .integer(let number)?:
                return number
            case .number(let number)?:
                guard let exact = LuaArguments.exactInteger(number) else {
                    throw .bad(index + self.firstPosition, self.function, "number has no integer representation")
                }
                return exact
            default:
                throw self.typeError(index, expected: "number")
            }
        default:
            throw self.typeError(index, expected: "number")
        }
    }

    /// `luaL_typeerror`: "<expected> expected, got <type>" ("no value" past the last argument).
    public func typeError(_ index: Int, expected: String) -> LuaArgumentError {
        let got = index < self.values.count ? LuaArguments.typeName(self.values[index]) : "no value"
        return .bad(index + self.firstPosition, self.function, "\(expected) expected, got \(got)")
    }

    public static func typeName(_ value: LuaValue) -> String {
        switch value {
        case .nil: "nil"
        case .boolean: "boolean"
        case .integer, .number: "number"
        case .string: "string"
        case .table, .object: "table"
        case .function: "function"
        }
    }

    /// Lua's float to string conversion (`LUAI_NUMFFORMAT` "%.14g", plus ".0" when it looks like an integer).
    public static func format(_ number: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([number]) { vsnprintf(&buffer, buffer.count, "%.14g", $0) }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.allSatisfy({ $0 == "-" || $0.isNumber }) {
            return text + ".0"
        }
        return text
    }

    public static func exactInteger(_ number: Double) -> Int64? {
        guard number.rounded(.towardZero) == number, number >= -0x1p63, number < 0x1p63 else { return nil }
        return Int64(number)
    }

    /// `lua_stringtonumber` (decimal and hexadecimal integers, decimal floats, surrounding spaces).
    public static func number(from bytes: [UInt8]) -> LuaValue? {
        let text = String(decoding: bytes, as: UTF8.self).trimmingSpaces()
        guard !text.isEmpty else { return nil }
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        if body.hasPrefix("0x") || body.hasPrefix("0X") {
            // Hexadecimal integers wrap around, as in Lua.
            let digits = body.dropFirst(2)
            guard !digits.isEmpty else { return nil }
            var value: UInt64 = 0
            for character in digits {
                guard let digit = character.hexDigitValue else { return nil }
                value = value &* 16 &+ UInt64(digit)
            }
            let signed = Int64(bitPattern: value)
            return .integer(negative ? 0 &- signed : signed)
        }
        if body.allSatisfy(\.isASCIIDigit), let value = Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text) {
            return .integer(value)
        }
        guard body.allSatisfy({ $0.isASCIIDigit || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+" }),
            let value = Double(text)
        else { return nil }
        return .number(value)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { character in
            character.unicodeScalars.allSatisfy { [9, 10, 11, 12, 13, 32].contains($0.value) }
        }
        var slice = Substring(self)
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
