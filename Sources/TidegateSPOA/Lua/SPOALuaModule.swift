import SPOP
import TidegateCore
import TidegateLua

/// The `spoa` global of Lua scripts, the API of HAProxy's example agent (`spoa_server`'s `ps_lua`):
///
/// - `spoa.register_message(name, fn)`: `fn(args)` handles the message `name`; `args` is an array of
///   `{name = <string>, value = <value>}` in message order.
/// - `spoa.set_var_null(name, scope)` and `spoa.set_var_boolean/int32/uint32/int64/uint64/ipv4/ipv6/str/bin(name,
///   scope, value)`: add a set-var action to the ACK; values are range-checked, addresses given as text.
/// - `spoa.unset_var(name, scope)`: an unset-var action (Tidegate's addition).
/// - `spoa.scope.proc/sess/txn/req/res`: the scopes (0 to 4).
///
/// Errors are raised as Lua errors with the `luaL_check*` wording, so a script may `pcall` them.
enum SPOALuaModule {
    static func make(engine: SPOALuaEngine) -> LuaModule {
        var module = LuaModule()
        module.function("register_message", arguments: 2) { [unowned engine] values in
            let arguments = LuaArguments(values, function: "register_message")
            let name = try arguments.string(0)
            guard case .function(let function) = values[1] else {
                throw arguments.typeError(1, expected: "function")
            }
            try engine.register(name: String(decoding: name, as: UTF8.self), function: function)
            return .values([])
        }
        setter(&module, "set_var_null", engine: engine, hasValue: false) { _ in .null }
        setter(&module, "set_var_boolean", engine: engine) { arguments in
            guard case .boolean(let flag) = arguments.values[2] else {
                throw arguments.typeError(2, expected: "boolean")
            }
            return .bool(flag)
        }
        setter(&module, "set_var_int32", engine: engine) { arguments in
            .int32(try integer(arguments, as: Int32.self, type: "int32"))
        }
        setter(&module, "set_var_uint32", engine: engine) { arguments in
            .uint32(try integer(arguments, as: UInt32.self, type: "uint32"))
        }
        setter(&module, "set_var_int64", engine: engine) { arguments in
            .int64(try arguments.integer(2))
        }
        setter(&module, "set_var_uint64", engine: engine) { arguments in
            .uint64(try integer(arguments, as: UInt64.self, type: "uint64"))
        }
        setter(&module, "set_var_ipv4", engine: engine) { arguments in
            let text = try arguments.string(2)
            guard let address = text.withUnsafeBytes({ IPv4Address(text: $0) }) else {
                throw LuaArgumentError.bad(3, arguments.function, "invalid IPv4 address '\(printable(text))'")
            }
            return .ipv4(SPOPIPv4Address(rawValue: address.value))
        }
        setter(&module, "set_var_ipv6", engine: engine) { arguments in
            let text = try arguments.string(2)
            guard let address = text.withUnsafeBytes({ IPv6Address(text: $0) }) else {
                throw LuaArgumentError.bad(3, arguments.function, "invalid IPv6 address '\(printable(text))'")
            }
            return .ipv6(SPOPIPv6Address(high: address.high, low: address.low))
        }
        setter(&module, "set_var_str", engine: engine) { arguments in
            .string(.init(bytes: try arguments.string(2)))
        }
        setter(&module, "set_var_bin", engine: engine) { arguments in
            .binary(.init(bytes: try arguments.string(2)))
        }
        module.function("unset_var", arguments: 2) { [unowned engine] values in
            let arguments = LuaArguments(values, function: "unset_var")
            let (name, scope) = try nameAndScope(arguments)
            try actions(engine, arguments).unsetVar(scope: scope, name: name)
            return .values([])
        }
        var scopes = LuaModule()
        for scope in SPOPVarScope.allCases {
            scopes.constant(scope.name, .integer(Int64(scope.rawValue)))
        }
        module.table("scope", scopes)
        return module
    }

    /// Adds `spoa.<function>(name, scope[, value])`; `value` reads the third argument.
    private static func setter(
        _ module: inout LuaModule, _ function: String, engine: SPOALuaEngine, hasValue: Bool = true,
        value: @escaping (LuaArguments) throws -> SPOPTypedData
    ) {
        module.function(function, arguments: hasValue ? 3 : 2) { [unowned engine] values in
            let arguments = LuaArguments(values, function: function)
            let (name, scope) = try nameAndScope(arguments)
            let typed = try value(arguments)
            try actions(engine, arguments).setVar(scope: scope, name: name, value: typed)
            return .values([])
        }
    }

    private static func nameAndScope(_ arguments: LuaArguments) throws -> ([UInt8], SPOPVarScope) {
        let name = try arguments.string(0)
        let number = try arguments.integer(1)
        guard let raw = UInt8(exactly: number), let scope = SPOPVarScope(rawValue: raw) else {
            throw LuaArgumentError.bad(2, arguments.function, "unknown scope \(number) (use spoa.scope.*)")
        }
        return (name, scope)
    }

    private static func actions(_ engine: SPOALuaEngine, _ arguments: LuaArguments) throws -> SPOAActionBuffer {
        guard let actions = engine.currentActions else {
            throw LuaArgumentError(message: "'\(arguments.function)' may only be called by a message handler")
        }
        return actions
    }

    /// The third argument as an integer of type `T`, or the error "integer <v> out of range for '<type>'".
    private static func integer<T: FixedWidthInteger>(
        _ arguments: LuaArguments, as: T.Type, type: String
    ) throws -> T {
        let number = try arguments.integer(2)
        guard let value = T(exactly: number) else {
            throw LuaArgumentError.bad(3, arguments.function, "integer \(number) out of range for '\(type)'")
        }
        return value
    }

    private static func printable(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(64), as: UTF8.self)
    }
}
