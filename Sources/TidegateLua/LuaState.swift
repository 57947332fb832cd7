import CTidegateLua
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One Lua 5.4 state (`lua_State`) with the standard libraries, an optional memory limit and Swift functions.
///
/// Not `Sendable`: a state is confined to the thread (event loop) that uses it. Every Lua API call that can raise
/// runs in C (CTidegateLua) under `lua_pcall`; Swift only sees status codes, so a script error, a memory limit or a
/// timeout never longjmps over Swift frames.
public final class LuaState {
    /// The main thread. Used for protected helper calls; scripts run in `LuaCoroutine`s.
    let mainThread: OpaquePointer
    /// Per-state C data: allocator accounting, hook decision callback, running coroutine. Freed after `lua_close`.
    let runtime: UnsafeMutablePointer<tg_lua_runtime>
    /// Swift functions registered with `setGlobal(_:function:)`, module tables and classes; Lua holds them as
    /// lightuserdata, so they live as long as the state.
    var functions: [LuaFunctionBox] = []
    /// The coroutine being resumed, if any (the count hook asks it about its budget).
    var running: LuaCoroutine?
    /// Registered classes: the `LuaClass` (kept so that its identifier stays unique) and its metatable reference.
    var classes: [ObjectIdentifier: (luaClass: AnyObject, reference: Int32)] = [:]
    /// The handle table: live objects and the registry reference of their Lua table.
    var objects = LuaObjectTable()
    /// Reused by `push(_:onto:)` to encode values (unless re-entered: see `encodingScratchInUse`).
    var encodingScratch: [UInt8] = []
    var encodingScratchInUse = false
    /// Registry references of `LuaFunction`s released on another thread, freed on this state's thread.
    let orphanedReferences = Mutex<[Int32]>([])
    /// Process-unique identifier (object handles name their state).
    let identifier = LuaState.identifiers.add(1, ordering: .relaxed).newValue
    private static let identifiers = Atomic<UInt64>(0)

    /// Creates a state and opens the standard libraries.
    /// - Parameter maxMemory: byte limit of the allocator, 0 for none. Hitting it fails the running code with
    ///   `LuaError.Code.memory`; the state stays usable.
    public init(maxMemory: Int = 0) throws(LuaError) {
        let runtime = UnsafeMutablePointer<tg_lua_runtime>.allocate(capacity: 1)
        runtime.initialize(to: tg_lua_runtime())
        runtime.pointee.memory.limit = maxMemory
        let memory = UnsafeMutableRawPointer(runtime)
            .advanced(by: MemoryLayout<tg_lua_runtime>.offset(of: \.memory)!)
            .assumingMemoryBound(to: tg_lua_memory.self)
        guard let mainThread = tg_lua_newstate(memory) else {
            runtime.deallocate()
            throw LuaError(code: .memory, message: "cannot create a Lua state (not enough memory)")
        }
        tg_lua_setruntime(mainThread, runtime)
        let status = tg_lua_openlibs(mainThread)
        guard status == LUA_OK else {
            lua_close(mainThread)
            runtime.deallocate()
            throw LuaError(code: LuaState.code(forStatus: status), message: "cannot open the Lua standard libraries")
        }
        self.mainThread = mainThread
        self.runtime = runtime
        runtime.pointee.decide = luaHookDecision
        runtime.pointee.decide_context = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        // Coroutines and functions hold the state strongly, so none is left; finalizers may still call Swift
        // functions, which are released only after `lua_close`.
        lua_close(self.mainThread)
        tg_lua_runtime_free_scratch(self.runtime)
        self.runtime.deallocate()
    }

    // MARK: Memory

    /// The allocator's byte limit (0 = none). Lowering it below `memoryInUse` makes the next growth fail.
    public var maxMemory: Int {
        get { self.runtime.pointee.memory.limit }
        set { self.runtime.pointee.memory.limit = newValue }
    }

    /// Bytes currently allocated by this state.
    public var memoryInUse: Int { self.runtime.pointee.memory.current }

    /// The highest `memoryInUse` seen.
    public var peakMemory: Int { self.runtime.pointee.memory.peak }

    /// Runs a full garbage collection cycle (finalizer errors become Lua warnings).
    public func collectGarbage() {
        self.releaseOrphanedReferences()
        tg_lua_collectgarbage(self.mainThread)
    }

    // MARK: Loading

    /// Compiles a text chunk. Errors name the chunk: `name:line: message`.
    public func load(chunk: String, name: String) throws(LuaError) -> LuaFunction {
        try self.load(bytes: Array(chunk.utf8), chunkName: "=" + name)
    }

    /// Compiles a text chunk given as bytes. Binary (precompiled) chunks are refused.
    public func load(chunk: [UInt8], name: String) throws(LuaError) -> LuaFunction {
        try self.load(bytes: chunk, chunkName: "=" + name)
    }

    /// Compiles a script file. Errors name the file: `path:line: message`. A first line starting with `#` is skipped.
    /// With `allowPrecompiled`, a file made by `luac` is accepted too (Lua does not verify bytecode: only for files
    /// the operator chose, never for data from the network).
    public func loadFile(path: String, allowPrecompiled: Bool = false) throws(LuaError) -> LuaFunction {
        var bytes = try LuaState.readFile(path)
        if allowPrecompiled, bytes.first == 0x1B {
            return try self.load(bytes: bytes, chunkName: "@" + path, mode: "b")
        }
        if bytes.first == UInt8(ascii: "#") {
            // Keep the newline so that line numbers stay right.
            let end = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            bytes.removeSubrange(bytes.startIndex..<end)
        }
        return try self.load(bytes: bytes, chunkName: "@" + path)
    }

    private func load(bytes: [UInt8], chunkName: String, mode: String = "t") throws(LuaError) -> LuaFunction {
        let top = lua_gettop(self.mainThread)
        defer { lua_settop(self.mainThread, top) }
        var reference = LUA_NOREF
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                tg_lua_loadx(self.mainThread, chars.baseAddress, chars.count, chunkName, mode, &reference)
            }
        }
        guard status == LUA_OK else {
            throw LuaError(code: LuaState.code(forStatus: status), message: self.errorMessage(above: top))
        }
        return LuaFunction(state: self, reference: reference)
    }

    private static func readFile(_ path: String) throws(LuaError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw LuaError(code: .file, message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count { break }
        }
        if ferror(file) != 0 {
            throw LuaError(code: .file, message: "cannot read \(path)")
        }
        return bytes
    }

    // MARK: Swift functions

    /// Sets global `name` to a Swift function. Lua calls it through the C trampoline; the function may return
    /// values, raise an error (`.error` or a thrown Swift error) or yield a request to the caller of
    /// `LuaCoroutine.resume` (`.yield`), then finish in its continuation when the coroutine is resumed.
    public func setGlobal(_ name: String, function: @escaping LuaSwiftFunction) throws(LuaError) {
        let box = LuaFunctionBox(state: self, function: function)
        let top = lua_gettop(self.mainThread)
        let status = tg_lua_set_global_function(
            self.mainThread, name, luaFunctionTrampoline, Unmanaged.passUnretained(box).toOpaque())
        lua_settop(self.mainThread, top)
        guard status == LUA_OK else {
            throw LuaError(code: LuaState.code(forStatus: status), message: "cannot set global '\(name)'")
        }
        self.functions.append(box)
    }

    // MARK: Helpers for the engine

    static func code(forStatus status: Int32) -> LuaError.Code {
        switch status {
        case LUA_ERRMEM: .memory
        case LUA_ERRSYNTAX: .syntax
        default: .runtime
        }
    }

    /// The error value a failed helper left above `top` (read without allocating; strings only).
    func errorMessage(above top: Int32, in thread: OpaquePointer? = nil) -> String {
        let thread = thread ?? self.mainThread
        guard lua_gettop(thread) > top else { return "not enough memory" }
        return LuaState.string(at: -1, in: thread)
            ?? "(error object is a \(LuaState.typeName(at: -1, in: thread)) value)"
    }

    /// The bytes of the string at `index`, or nil if that value is not a string (numbers are not converted, since
    /// that would allocate).
    static func string(at index: Int32, in thread: OpaquePointer) -> String? {
        guard lua_type(thread, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let bytes = lua_tolstring(thread, index, &length) else { return nil }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    static func typeName(at index: Int32, in thread: OpaquePointer) -> String {
        String(cString: lua_typename(thread, lua_type(thread, index)))
    }

    /// Reads the values at `first...last` of `thread`: strings, numbers, booleans, nil and objects straight from
    /// the stack into a reused buffer, anything else through the protected encoder. On failure returns nil and
    /// leaves the error value on top of `thread`.
    func values(in thread: OpaquePointer, from first: Int32, to last: Int32) -> [LuaValue]? {
        guard last >= first else { return [] }
        var fallback = tg_lua_buffer()
        defer { tg_lua_buffer_free(&fallback) }
        var bytes: UnsafePointer<UInt8>?
        var length = 0
        guard tg_lua_encode_arguments(thread, first, last - first + 1, &fallback, &bytes, &length) == LUA_OK else {
            return nil
        }
        return LuaValue.decode(
            UnsafeRawBufferPointer(start: bytes, count: length), count: Int(last - first + 1), state: self)
    }

    /// Pushes `values` onto `thread`. Scalars (nil, booleans, numbers) are pushed directly: those API calls never
    /// allocate nor raise. Anything else goes through the protected decode in C. Returns the status and how many
    /// were pushed; on failure the error value is on top.
    func push(_ values: [LuaValue], onto thread: OpaquePointer) -> (status: Int32, count: Int32) {
        guard !values.isEmpty else { return (LUA_OK, 0) }
        if values.count <= 8, values.allSatisfy(\.isScalar), lua_checkstack(thread, Int32(values.count)) != 0 {
            for value in values {
                switch value {
                case .boolean(let flag): lua_pushboolean(thread, flag ? 1 : 0)
                case .integer(let integer): lua_pushinteger(thread, lua_Integer(integer))
                case .number(let number): lua_pushnumber(thread, lua_Number(number))
                default: lua_pushnil(thread)
                }
            }
            return (LUA_OK, Int32(values.count))
        }
        var count: Int32 = 0
        let status: Int32
        if self.encodingScratchInUse {
            // Re-entered (a finalizer ran Swift code while the outer push decodes): use a buffer of its own.
            let bytes = LuaValue.encode(values, for: self)
            status = bytes.withUnsafeBufferPointer { tg_lua_push_encoded(thread, $0.baseAddress, $0.count, &count) }
        } else {
            self.encodingScratchInUse = true
            defer { self.encodingScratchInUse = false }
            self.encodingScratch.removeAll(keepingCapacity: true)
            LuaValue.encode(values, into: &self.encodingScratch, for: self)
            status = self.encodingScratch.withUnsafeBufferPointer {
                tg_lua_push_encoded(thread, $0.baseAddress, $0.count, &count)
            }
            if self.encodingScratch.capacity > 64 * 1024 {
                self.encodingScratch = []
            }
        }
        return (status, count)
    }

    /// Called by the count hook (through `luaHookDecision`).
    fileprivate func hookDecision() -> Int32 {
        guard let running = self.running else { return Int32(TG_LUA_HOOK_CONTINUE) }
        return running.hookDecision()
    }
}

/// The count hook's decision callback: non-capturing, so it converts to a C function pointer.
private let luaHookDecision: tg_lua_hook_decision = { _, context in
    Unmanaged<LuaState>.fromOpaque(context!).takeUnretainedValue().hookDecision()
}
