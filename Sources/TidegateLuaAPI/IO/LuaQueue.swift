import NIOCore
import NIOPosix
import TidegateLua

/// The Swift object behind a Lua `Queue` (`core.queue()`): a FIFO of Lua values shared by the tasks and coroutines
/// of one state. Values are copied out of Lua when pushed (a table comes back as an equal copy, not the same
/// table); functions and objects keep their identity.
final class LuaQueue {
    private var items: [LuaValue] = []
    private var head = 0
    /// Coroutines in `pop_wait`, woken together by the next push (the first to resume takes the value).
    private var waiters: [LuaIOWait] = []
    /// Contexts that called `alarm()`, woken once by the next push.
    private var alarms: [LuaEventAlarm] = []
    /// The context of the running code (nil at load time and in fetches and converters).
    private let currentContext: () -> (any LuaEventTarget)?

    init(currentContext: @escaping () -> (any LuaEventTarget)? = { nil }) {
        self.currentContext = currentContext
    }

    var count: Int { self.items.count - self.head }

    /// `push(v)`: true.
    func push(_ arguments: [LuaValue]) throws(LuaIOError) -> LuaFunctionResult {
        guard arguments.count == 1, arguments[0] != .nil else { throw LuaIOError("unexpected argument") }
        self.items.append(arguments[0])
        let waiters = self.waiters
        self.waiters.removeAll()
        for waiter in waiters {
            waiter.finish([true])
        }
        if !self.alarms.isEmpty {
            let alarms = self.alarms
            self.alarms.removeAll()
            for alarm in alarms { alarm.ring() }
        }
        return .values([true])
    }

    /// `alarm()` (HAProxy 3.2): the next push wakes the running context once (its `core.wait()` returns). False
    /// where there is no context to wake (load time, fetches, converters).
    func alarm() -> Bool {
        guard let context = self.currentContext() else { return false }
        self.alarms.removeAll { !$0.isAlive }
        if !self.alarms.contains(where: { $0.wakes(context) }) {
            self.alarms.append(LuaEventAlarm(context))
        }
        return true
    }

    /// `pop()`: the oldest value, or nil.
    func pop() -> LuaValue {
        guard self.head < self.items.count else { return .nil }
        let value = self.items[self.head]
        self.items[self.head] = .nil
        self.head += 1
        if self.head == self.items.count {
            self.items.removeAll(keepingCapacity: true)
            self.head = 0
        } else if self.head >= 1024, self.head * 2 >= self.items.count {
            self.items.removeFirst(self.head)
            self.head = 0
        }
        return value
    }

    /// `pop_wait()`: the oldest value, yielding until there is one.
    func popWait() throws(LuaIOError) -> LuaFunctionResult {
        let value = self.pop()
        if value != .nil {
            return .values([value])
        }
        guard let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop else {
            throw LuaIOError("pop_wait() may only be used within task context (requires yielding)")
        }
        let wait = LuaIOWait(on: eventLoop, timeout: nil, timeoutValues: [], abandonedValues: [false])
        self.waiters.append(wait)
        return .yield(
            request: LuaAwait(wait.future),
            continuation: { [self] _ in
                self.waiters.removeAll { $0 === wait }
                return try self.popWait()
            })
    }
}
