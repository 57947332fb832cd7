import TidegateCore
import TidegateLua

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `core` functions that depend on the engine rather than on the Lua state alone: `done`, `set_nice`,
/// `get_info`.
enum LuaEngineCore {
    static let startedAt = CoreEnvironment.systemTime().seconds

    static func install(into core: inout LuaModule, box: LuaStateBox) {
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
        core.function("get_info", arguments: 0) { _ in
            let now = CoreEnvironment.systemTime().seconds
            let uptime = now - startedAt
            var info: [LuaValue: LuaValue] = [:]
            info["Name"] = "Tidegate"
            info["Pid"] = .string(Array(String(getpid()).utf8))
            info["Uptime_sec"] = .string(Array(String(uptime).utf8))
            info["Uptime"] = LuaValue(
                "\(uptime / 86400)d \(uptime % 86400 / 3600)h\(String(format2(uptime % 3600 / 60)))m\(String(format2(uptime % 60)))s")
            info["Nbthread"] = .string(Array(String(LuaEngineCore.loopCount).utf8))
            return .values([.table(LuaTable(hash: info))])
        }
    }

    /// The number of event loops, set by the engine (for `core.get_info().Nbthread`).
    nonisolated(unsafe) static var loopCount = 1

    private static func format2(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
