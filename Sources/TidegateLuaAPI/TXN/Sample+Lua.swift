import NIOCore
import TidegateCore
import TidegateLua

extension Sample {
    /// HAProxy's `hlua_smp2lua`: the value a fetch, converter or `txn:get_var` gives to Lua.
    /// - booleans: integers 0/1 (`tune.lua.bool-sample-conversion pre-3.1-bug`, the default) or Lua booleans;
    /// - `sint`: an integer; `str`, `bin`, `meth`: a string of the same bytes; `ipv4`/`ipv6`: their text.
    public func luaValue(options: LuaAPIOptions) -> LuaValue {
        switch self {
        case .bool(let value):
            return options.booleanSamples ? .boolean(value) : .integer(value ? 1 : 0)
        case .sint(let value):
            return .integer(value)
        case .str(let bytes), .bin(let bytes), .meth(let bytes):
            return .string(Array(bytes.readableBytesView))
        case .ipv4, .ipv6:
            return self.luaString() ?? .nil
        }
    }

    /// HAProxy's `hlua_smp2lua_str` (the `sf`/`sc` flavours): the sample cast to a string, nil when the cast fails.
    public func luaString() -> LuaValue? {
        if let bytes = self.buffer { return .string(Array(bytes.readableBytesView)) }
        guard case .str(let bytes)? = self.converted(to: .str) else { return nil }
        return .string(Array(bytes.readableBytesView))
    }
}

extension LuaValue {
    /// HAProxy's `hlua_lua2smp`: integers become `sint`; floats `sint` when they have an exact integer value, 0
    /// otherwise (as `lua_tointeger` gives); strings `str`; booleans `bool`. Other values (nil, tables, functions,
    /// objects) give nil here; HAProxy turns them into the boolean `false`, see `haproxySample`.
    public var sample: Sample? {
        switch self {
        case .integer(let value):
            return .sint(value)
        case .number(let value):
            return .sint(LuaArguments.exactInteger(value) ?? 0)
        case .string(let bytes):
            return .str(ByteBuffer(bytes: bytes))
        case .boolean(let value):
            return .bool(value)
        case .nil, .table, .function, .object:
            return nil
        }
    }

    /// `hlua_lua2smp` exactly: like `sample`, with every other value as the boolean `false` (what `txn:set_var`
    /// stores for `nil` or a table).
    public var haproxySample: Sample {
        self.sample ?? .bool(false)
    }
}
