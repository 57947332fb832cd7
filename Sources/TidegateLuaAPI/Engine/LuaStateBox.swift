import NIOConcurrencyHelpers
import TidegateLua

/// A Lua state with what the engine keeps beside it: the lock of the shared state (`lua-load`), the thread
/// number `core.thread` reports, and the functions the scripts registered.
///
/// A per-thread state (`lua-load-per-thread`) is used by its own event loop only and has no lock. The shared state
/// is used by every loop, one at a time: every Lua API call on it goes through `withState`. Marked `Sendable` for
/// that reason; the per-thread ones are confined to their loop by construction.
public final class LuaStateBox: @unchecked Sendable {
    let state: LuaState
    /// `core.thread`: 0 for the shared state, the loop's number from 1 otherwise.
    public let thread: Int
    let lock: NIOLock?
    let registrations = LuaRegistrations()
    /// The transaction whose Lua code is running in this state (set around each resume), for `core.done` and the
    /// bindings that act on "the current transaction".
    var current: LuaTransaction? {
        didSet { self.txnRuntime?.current = self.current }
    }
    /// The context of the code running in this state (set around each resume), for `Queue:alarm()`.
    unowned(unsafe) var currentContext: (any LuaEventTarget)?
    /// The TXN bindings' per-state data (its "current transaction" follows `current`).
    var txnRuntime: LuaTXNRuntime?
    /// Finished coroutines of ended transactions, reused by the next ones (creating a Lua thread costs more than
    /// the rest of a small action). Used under the state's lock.
    private var idleCoroutines: [LuaCoroutine] = []
    private static let idleCoroutineLimit = 256

    init(state: LuaState, thread: Int, shared: Bool) {
        self.state = state
        self.thread = thread
        self.lock = shared ? NIOLock() : nil
    }

    /// A coroutine ready to run `function`: an idle one restarted, or a new one. Call under the state's lock.
    func coroutine(for function: LuaFunction) throws(LuaError) -> LuaCoroutine {
        while let idle = self.idleCoroutines.popLast() {
            if idle.restart(function) { return idle }
        }
        return try LuaCoroutine(function)
    }

    /// Keeps a coroutine whose work is over for reuse, if it finished normally. Call under the state's lock.
    func recycle(_ coroutine: LuaCoroutine) {
        guard coroutine.isRestartable, self.idleCoroutines.count < Self.idleCoroutineLimit else { return }
        self.idleCoroutines.append(coroutine)
    }

    /// Runs `body` with the state, under the lock for the shared state.
    @inline(__always)
    func withState<Result, Failure: Error>(_ body: (LuaState) throws(Failure) -> Result) throws(Failure) -> Result {
        guard let lock else { return try body(self.state) }
        lock.lock()
        defer { lock.unlock() }
        return try body(self.state)
    }
}
