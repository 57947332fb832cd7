import TidegateLua

/// HAProxy's global `act` (2.2): the action return codes and `act.wake_time(ms)`.
public enum LuaActModule {
    /// `act.CONTINUE` ... `act.INVALID`.
    public static let codes: [(name: String, value: Int64)] = [
        ("CONTINUE", 0), ("STOP", 1), ("YIELD", 2), ("ERROR", 3), ("DONE", 4), ("DENY", 5), ("ABORT", 6),
        ("INVALID", 7),
    ]

    static func make(runtime: LuaTXNRuntime) -> LuaModule {
        var act = LuaModule()
        for (name, value) in self.codes {
            act.constant(name, .integer(value))
        }
        // Exactly one argument: the documented `act:wake_time(ms)` fails, as in HAProxy.
        act.function("wake_time", arguments: 1) { values in
            let delay = try LuaArguments(values, function: "wake_time").integer(0)
            runtime.current?.wakeTime = Int(clamping: max(delay, 0))
            return .values([])
        }
        return act
    }
}
