import CTidegateLua

/// A table of Swift functions, constants and nested tables, installed as a global with
/// `LuaState.setGlobal(_:module:)` (HAProxy's `core`, `act`, `filter`...).
///
/// ```swift
/// var core = LuaModule()
/// core.constant("info", 6)
/// core.function("log", arguments: 2) { arguments in ... }
/// ```
public struct LuaModule {
    enum Entry {
        case function(LuaArity, LuaSwiftFunction)
        case value(LuaValue)
        case table(LuaModule)
    }

    var entries: [(name: String, entry: Entry)] = []

    public init() {}

    /// A Swift function; a wrong argument count raises "'<name>' needs <n> arguments" before `body` runs.
    public mutating func function(
        _ name: String,
        arguments: LuaArity = .any,
        _ body: @escaping LuaSwiftFunction
    ) {
        self.entries.append((name, .function(arguments, body)))
    }

    /// A plain value (number, string, table...), copied into the table once.
    public mutating func constant(_ name: String, _ value: LuaValue) {
        self.entries.append((name, .value(value)))
    }

    /// A nested table.
    public mutating func table(_ name: String, _ module: LuaModule) {
        self.entries.append((name, .table(module)))
    }
}

extension LuaState {
    /// Builds `module` and sets it as global `name` (replacing any previous value).
    public func setGlobal(_ name: String, module: LuaModule) throws(LuaError) {
        let top = lua_gettop(self.mainThread)
        defer { lua_settop(self.mainThread, top) }
        let reference = try self.makeTable(module)
        defer { self.unreference(reference) }
        try self.pushReference(reference)
        try self.setField(of: Int32(LUA_RIDX_GLOBALS), name, top: top)
    }

    /// Sets global `name` to a plain value (an object handle or function reference included).
    public func setGlobal(_ name: String, value: LuaValue) throws(LuaError) {
        let top = lua_gettop(self.mainThread)
        defer { lua_settop(self.mainThread, top) }
        let (status, _) = self.push([value], onto: self.mainThread)
        guard status == LUA_OK else {
            throw LuaError(code: LuaState.code(forStatus: status), message: self.errorMessage(above: top))
        }
        try self.setField(of: Int32(LUA_RIDX_GLOBALS), name, top: top)
    }

    /// Creates the table of `module` and returns its registry reference (owned by the caller).
    private func makeTable(_ module: LuaModule) throws(LuaError) -> Int32 {
        let main = self.mainThread
        let top = lua_gettop(main)
        var reference = LUA_NOREF
        let status = tg_lua_newtable_ref(main, &reference)
        guard status == LUA_OK else {
            throw LuaError(code: LuaState.code(forStatus: status), message: self.errorMessage(above: top))
        }
        do throws(LuaError) {
            for (name, entry) in module.entries {
                switch entry {
                case .function(let arity, let body):
                    let box = LuaFunctionBox(state: self, function: body)
                    let (min, max) = arity.bounds(extra: 0)
                    let status = tg_lua_push_checked_function(
                        main, luaFunctionTrampoline, Unmanaged.passUnretained(box).toOpaque(), name, min, max,
                        LUA_NOREF)
                    guard status == LUA_OK else {
                        throw LuaError(code: LuaState.code(forStatus: status), message: self.errorMessage(above: top))
                    }
                    self.functions.append(box)
                case .value(let value):
                    let (status, _) = self.push([value], onto: main)
                    guard status == LUA_OK else {
                        throw LuaError(code: LuaState.code(forStatus: status), message: self.errorMessage(above: top))
                    }
                case .table(let nested):
                    let child = try self.makeTable(nested)
                    defer { self.unreference(child) }
                    try self.pushReference(child)
                }
                try self.setField(of: reference, name, top: top)
            }
        } catch {
            lua_settop(main, top)
            self.unreference(reference)
            throw error
        }
        return reference
    }

    /// Pushes `registry[reference]` (`lua_rawgeti` does not raise).
    private func pushReference(_ reference: Int32) throws(LuaError) {
        guard lua_checkstack(self.mainThread, 1) != 0 else {
            throw LuaError(code: .memory, message: "not enough memory")
        }
        lua_rawgeti(self.mainThread, tg_lua_registryindex(), lua_Integer(reference))
    }

    /// Pops the value on top into `registry[table][name]`.
    private func setField(of table: Int32, _ name: String, top: Int32) throws(LuaError) {
        let status = tg_lua_setfield(self.mainThread, table, name)
        guard status == LUA_OK else {
            throw LuaError(code: LuaState.code(forStatus: status), message: "cannot set '\(name)'")
        }
    }
}
