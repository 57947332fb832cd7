/// A Lua value copied out of (or into) a Lua state.
///
/// Functions become anchored references (`.function`), object tables (see `LuaClass`) their handle (`.object`);
/// other userdata and threads have no `LuaValue`: converting them fails with a runtime error.
/// Strings are bytes (Lua strings are binary-safe); `stringValue` decodes UTF-8.
public enum LuaValue: Hashable, Sendable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string([UInt8])
    case table(LuaTable)
    /// A Lua function anchored in the registry of its state (compared by reference identity). Pushing it into
    /// another state pushes nil.
    case function(LuaFunctionReference)
    /// An object of a registered `LuaClass`. Pushing an invalidated handle pushes nil.
    case object(LuaObjectHandle)

    /// A string value from UTF-8 text.
    public init(_ string: String) {
        self = .string(Array(string.utf8))
    }

    /// The string's bytes decoded as UTF-8 (invalid sequences repaired), or nil if this is not a string.
    public var stringValue: String? {
        guard case .string(let bytes) = self else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The integer, or nil if this is not an integer (floats are not converted).
    public var integerValue: Int64? {
        guard case .integer(let value) = self else { return nil }
        return value
    }

    /// The table, or nil.
    public var tableValue: LuaTable? {
        guard case .table(let table) = self else { return nil }
        return table
    }

    /// The function reference, or nil.
    public var functionValue: LuaFunctionReference? {
        guard case .function(let function) = self else { return nil }
        return function
    }

    /// The object handle, or nil.
    public var objectValue: LuaObjectHandle? {
        guard case .object(let handle) = self else { return nil }
        return handle
    }
}

/// A Lua table as a value: `array` holds keys 1...n (no holes), `hash` every other key.
///
/// Tables read from Lua are in that canonical form: the array part is the longest run of non-nil values from key 1.
/// Keys must not be `nil` or NaN (Lua refuses them when the table is pushed).
public struct LuaTable: Hashable, Sendable {
    public var array: [LuaValue]
    public var hash: [LuaValue: LuaValue]

    public init(array: [LuaValue] = [], hash: [LuaValue: LuaValue] = [:]) {
        self.array = array
        self.hash = hash
    }

    /// Raw lookup, as Lua would find it (integer keys 1...n in `array`).
    public subscript(key: LuaValue) -> LuaValue {
        if case .integer(let index) = key, index >= 1, index <= self.array.count {
            return self.array[Int(index) - 1]
        }
        return self.hash[key] ?? .nil
    }

    public subscript(key: String) -> LuaValue {
        self[LuaValue(key)]
    }
}

extension LuaValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral
{
    public init(nilLiteral: ()) { self = .nil }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self.init(value) }
}
