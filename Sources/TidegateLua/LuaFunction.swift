import CTidegateLua
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Lua function (a compiled chunk, or a function value received from Lua) anchored in the registry of its state
/// with `luaL_ref`. The reference is released (`luaL_unref`) in `deinit`.
///
/// A reference belongs to the thread that created it, like its state. It is `Sendable` only so that `LuaValue` can
/// stay `Sendable`: if the last reference is dropped on another thread, `deinit` does not touch the state; it
/// queues the registry slot, which the state releases on its own thread at its next resume or collection.
/// Equality is identity: two references to the same Lua function made separately are different values.
public final class LuaFunction: Hashable, @unchecked Sendable {
    public let state: LuaState
    let reference: Int32
    private let owner: pthread_t

    init(state: LuaState, reference: Int32) {
        self.state = state
        self.reference = reference
        self.owner = pthread_self()
    }

    deinit {
        if pthread_equal(self.owner, pthread_self()) != 0 {
            self.state.unreference(self.reference)
        } else {
            self.state.orphanedReferences.withLock { $0.append(self.reference) }
        }
    }

    public static func == (lhs: LuaFunction, rhs: LuaFunction) -> Bool { lhs === rhs }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(self))
    }

    /// Calls the function to completion in a new coroutine where yields are not allowed (load-time and
    /// register-time work: `core.register_*` calls, `core.register_init` functions). A Swift function asking to
    /// yield, or a script `coroutine.yield`, fails with `.yieldNotAllowed`. Errors carry the traceback.
    public func call(_ arguments: [LuaValue] = [], timeLimit: Duration? = nil) throws(LuaError) -> [LuaValue] {
        let coroutine = try LuaCoroutine(self)
        coroutine.yieldAllowed = false
        coroutine.timeLimit = timeLimit
        switch coroutine.resume(arguments: arguments) {
        case .finished(let values):
            return values
        case .failed(let error):
            throw error
        case .yielded:
            coroutine.close()
            throw LuaError(code: .yieldNotAllowed, message: "yield not allowed")
        }
    }
}

/// A Lua function received from Lua (`LuaValue.function`), e.g. the callback of `core.register_action`. Run it
/// later with `LuaCoroutine(reference)` (yields allowed) or `call(_:)` (run to completion).
public typealias LuaFunctionReference = LuaFunction

extension LuaState {
    /// Releases a registry reference. `luaL_unref` only overwrites existing registry slots: it never allocates
    /// or raises, so Swift may call it.
    func unreference(_ reference: Int32) {
        guard reference >= 0, lua_checkstack(self.mainThread, 2) != 0 else { return }
        luaL_unref(self.mainThread, tg_lua_registryindex(), reference)
    }

    /// Releases the references whose `LuaFunction` died on another thread.
    func releaseOrphanedReferences() {
        let orphans = self.orphanedReferences.withLock { orphans in
            defer { orphans.removeAll() }
            return orphans
        }
        for reference in orphans {
            self.unreference(reference)
        }
    }

    /// Compiles `chunk` and runs it to completion (see `LuaFunction.call`): the way to run load-time script code.
    @discardableResult
    public func run(
        chunk: String,
        name: String,
        arguments: [LuaValue] = [],
        timeLimit: Duration? = nil
    ) throws(LuaError) -> [LuaValue] {
        try self.load(chunk: chunk, name: name).call(arguments, timeLimit: timeLimit)
    }
}
