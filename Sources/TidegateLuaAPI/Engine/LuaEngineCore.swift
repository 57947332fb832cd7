import TidegateCore
import TidegateLua

/// The `core` functions that depend on the engine rather than on the Lua state alone: `done`, `set_nice`,
/// `get_info`.
enum LuaEngineCore {
    static func install(into core: inout LuaModule, box: LuaStateBox, catalog: ProxyCatalog) {
        unowned(unsafe) let box = box
        // core.done([data]): ends the running code; a fetch or converter returns `data`.
        core.function("done", arguments: .between(0...1)) { values in
            guard let transaction = box.current else {
                return .error("core.done: no running transaction")
            }
            transaction.ending = .silent
            transaction.doneValue = values.first ?? .nil
            return .error(LuaTransaction.doneMarker)
        }
        core.function("set_nice", arguments: 1) { values in
            guard values[0].integerValue != nil || values[0] != .nil else {
                return .error("bad argument #1 to 'set_nice' (number expected)")
            }
            return .values([])
        }
        // HAProxy's `show info` fields (numbers as integers); the counters once the proxy runs.
        core.function("get_info", arguments: 0) { _ in
            let information = catalog.control?.processInformation ?? ProcessInformation(threads: loopCount)
            var info: [LuaValue: LuaValue] = [:]
            for (name, value) in information.fields() { info[LuaValue(name)] = LuaValue(value) }
            return .values([.table(LuaTable(hash: info))])
        }
    }

    /// The number of event loops, set by the engine (for `core.get_info().Nbthread`).
    nonisolated(unsafe) static var loopCount = 1
}
