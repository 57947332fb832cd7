import CTidegateLua

/// A compiled chunk (or any Lua function) anchored in the registry of its state. Released in `deinit`.
public final class LuaFunction {
    public let state: LuaState
    let reference: Int32

    init(state: LuaState, reference: Int32) {
        self.state = state
        self.reference = reference
    }

    deinit {
        self.state.unreference(self.reference)
    }
}

extension LuaState {
    /// Releases a registry reference. `luaL_unref` only overwrites existing registry slots: it never allocates
    /// or raises, so Swift may call it.
    func unreference(_ reference: Int32) {
        guard reference >= 0, lua_checkstack(self.mainThread, 2) != 0 else { return }
        luaL_unref(self.mainThread, tg_lua_registryindex(), reference)
    }
}
