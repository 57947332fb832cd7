import TidegateCore
import TidegateHTTP
import TidegateLua

/// HAProxy's transaction-side Lua classes — `TXN`, `Fetches`, `Converters`, `HTTP`, `Channel`, replies — and the
/// global `act`.
///
/// Use from the engine:
/// 1. `register(in:fetches:converters:environment:)` once per state, before loading scripts (scripts may read
///    `act.*` at load time).
/// 2. After the scripts are loaded, if they registered fetches or converters (`core.register_fetches`...), call
///    `update(fetches:converters:in:)` with the final registries. Method names are resolved when a script first
///    uses them, so any keyword known by then is callable (`txn.f:lua_myfetch()`).
/// 3. Before each resume of a coroutine working for a transaction, `setCurrent(transaction, in: state)` (nil
///    after): `act.wake_time` writes the transaction's `wakeTime`.
/// 4. `txn(for:in:)` gives the TXN object to pass as `.object(handle)`; at the end of the transaction,
///    `transaction.releaseObjects()` invalidates it and every object made for it.
public enum LuaTXNBindings {
    /// Registers the TXN, Fetches, Converters, HTTP and Channel classes in `state`, runs the Lua prelude and sets
    /// the global `act`. Returns the state's runtime (also found with `runtime(of:)`).
    @discardableResult
    public static func register(
        in state: LuaState, fetches: SampleFetchRegistry, converters: SampleConverterRegistry,
        environment: SampleCompileEnvironment
    ) throws(LuaError) -> LuaTXNRuntime {
        let runtime = LuaTXNRuntime(state: state, fetches: fetches, converters: converters, environment: environment)
        try state.register(LuaTXN.luaClass)
        try state.register(LuaFetches.luaClass)
        try state.register(LuaConverters.luaClass)
        try state.register(LuaHTTP.luaClass)
        try state.register(LuaChannel.luaClass)
        LuaTXNRuntime.install(runtime, for: state)

        // The state owns the runtime through these functions (the runtime holds the state unowned).
        try state.setGlobal(LuaTXNPrelude.resolveFetchGlobal) { values in
            guard case .string(let name)? = values.first,
                let id = runtime.fetchIDs[String(decoding: name, as: UTF8.self)]
            else { return .values([.nil]) }
            return .values([.integer(Int64(id))])
        }
        try state.setGlobal(LuaTXNPrelude.resolveConverterGlobal) { values in
            guard case .string(let name)? = values.first,
                let id = runtime.converterIDs[String(decoding: name, as: UTF8.self)]
            else { return .values([.nil]) }
            return .values([.integer(Int64(id))])
        }
        try state.setGlobal(LuaTXNPrelude.reasonGlobal) { values in
            guard case .integer(let code)? = values.first else { return .values([.nil]) }
            return .values([LuaValue(HTTPStatusPhrase.phrase(for: Int(clamping: code)))])
        }
        try state.run(chunk: LuaTXNPrelude.source, name: LuaTXNPrelude.name)
        try state.setGlobal("act", module: LuaActModule.make(runtime: runtime))
        return runtime
    }

    /// The runtime `register` made for `state`.
    public static func runtime(of state: LuaState) throws(LuaError) -> LuaTXNRuntime {
        try LuaTXNRuntime.of(state)
    }

    /// Replaces the keyword registries (after scripts registered fetches or converters). Keywords already used
    /// keep working; new ones become callable.
    public static func update(
        fetches: SampleFetchRegistry, converters: SampleConverterRegistry, in state: LuaState
    ) throws(LuaError) {
        try LuaTXNRuntime.of(state).update(fetches: fetches, converters: converters)
    }

    /// Sets the transaction whose Lua code runs now in `state` (for `act.wake_time`); nil when none.
    public static func setCurrent(_ transaction: LuaTransaction?, in state: LuaState) throws(LuaError) {
        try LuaTXNRuntime.of(state).current = transaction
    }

    /// The TXN object of `transaction` in `state`: built once, cached in `transaction.txnObjects`, every handle
    /// made for it appended to `transaction.objects`. Its fields `f sf c sc req res` (and `http` when
    /// `transaction.isHTTP`) are made on first access.
    public static func txn(for transaction: LuaTransaction, in state: LuaState) throws(LuaError) -> LuaObjectHandle {
        let key = ObjectIdentifier(state)
        if let handle = transaction.txnObjects[key], state.isValid(handle) { return handle }
        let runtime = try LuaTXNRuntime.of(state)
        let handle = try state.makeObject(LuaTXN(transaction: transaction, runtime: runtime), of: LuaTXN.luaClass)
        transaction.objects.append((state, handle))
        transaction.txnObjects[key] = handle
        return handle
    }

    /// A Fetches object alone, as applets expose it (`applet.f` / `applet.sf`): HTTP fetches raise there, as in
    /// HAProxy's services.
    public static func fetches(for transaction: LuaTransaction, in state: LuaState, stringsOnly: Bool) throws(LuaError)
        -> LuaObjectHandle
    {
        let value = try self.makeFetches(
            transaction: transaction, runtime: LuaTXNRuntime.of(state), stringsOnly: stringsOnly, mayUseHTTP: false)
        guard case .object(let handle) = value else { throw LuaError(code: .runtime, message: "no Fetches object") }
        return handle
    }

    /// A Converters object alone (`applet.c` / `applet.sc`).
    public static func converters(for transaction: LuaTransaction, in state: LuaState, stringsOnly: Bool)
        throws(LuaError) -> LuaObjectHandle
    {
        let value = try self.makeConverters(
            transaction: transaction, runtime: LuaTXNRuntime.of(state), stringsOnly: stringsOnly)
        guard case .object(let handle) = value else { throw LuaError(code: .runtime, message: "no Converters object") }
        return handle
    }

    // MARK: Object construction

    static func makeFetches(
        transaction: LuaTransaction, runtime: LuaTXNRuntime, stringsOnly: Bool, mayUseHTTP: Bool
    ) throws(LuaError) -> LuaValue {
        try self.make(
            LuaFetches(transaction: transaction, runtime: runtime, stringsOnly: stringsOnly, mayUseHTTP: mayUseHTTP),
            of: LuaFetches.luaClass, transaction: transaction, runtime: runtime)
    }

    static func makeConverters(transaction: LuaTransaction, runtime: LuaTXNRuntime, stringsOnly: Bool)
        throws(LuaError) -> LuaValue
    {
        try self.make(
            LuaConverters(transaction: transaction, runtime: runtime, stringsOnly: stringsOnly),
            of: LuaConverters.luaClass, transaction: transaction, runtime: runtime)
    }

    /// Makes an object for `transaction` and records its handle for `releaseObjects()`.
    static func make<Object>(
        _ object: Object, of luaClass: LuaClass<Object>, transaction: LuaTransaction, runtime: LuaTXNRuntime
    ) throws(LuaError) -> LuaValue {
        let handle = try runtime.state.makeObject(object, of: luaClass)
        transaction.objects.append((runtime.state, handle))
        return .object(handle)
    }
}
