import NIOCore

/// A runtime context whose waiting Lua code events can wake: a stream's transaction (its actions), a task, a
/// service. HAProxy wakes the task behind an `hlua` context; `core.wait()` returns on such a wake-up, and
/// `Queue:alarm()` asks for one at the next push.
protocol LuaEventTarget: AnyObject {
    /// The loop the context is confined to: `event()` is called there.
    var eventLoop: any EventLoop { get }
    /// Something happened for the context (a `Queue:alarm()` push): code waiting in `core.wait()` goes on.
    func event()
}

/// A context `Queue:alarm()` will wake, held weakly: pushes may come from another loop (the shared state's
/// queues), so the target is only dereferenced on its own loop. The reference is written once, at creation.
final class LuaEventAlarm: @unchecked Sendable {
    private weak var target: (any LuaEventTarget)?
    let eventLoop: any EventLoop

    init(_ target: any LuaEventTarget) {
        self.target = target
        self.eventLoop = target.eventLoop
    }

    /// Whether this alarm wakes `target` (false once the target is gone).
    func wakes(_ target: any LuaEventTarget) -> Bool { self.target === target }

    var isAlive: Bool { self.target != nil }

    /// Wakes the target on its loop, later (never from within the running Lua code that pushed).
    func ring() {
        self.eventLoop.execute { self.target?.event() }
    }
}
