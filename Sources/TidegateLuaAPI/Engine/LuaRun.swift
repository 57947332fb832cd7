import NIOCore
import TidegateLua

/// Runs one coroutine on an event loop: resumes it, and when it yields, arranges for it to go on (a timer for
/// `core.sleep`, the next loop turn for a forced yield or `core.yield`, a future's completion for I/O, an event of
/// its context or an optional timer for `core.wait`) without ever blocking the loop. The owner steps the run and is
/// told through `onReady` when it can step it again: an action's stream evaluates its rule again, a task steps at
/// once. The owner also passes its context's events on (`wakeForEvent()`, `event()`), which end a `core.wait`.
///
/// Confined to `eventLoop`. For the shared state every resume holds the state's lock.
final class LuaRun {
    enum Step {
        case finished([LuaValue])
        case failed(LuaError)
        /// Waiting; `onReady` will be called on the loop when `step()` may be called again.
        case suspended
    }

    let coroutine: LuaCoroutine
    let box: LuaStateBox
    let eventLoop: any EventLoop
    /// Called on the loop when a suspended run can go on. Not called after `cancel()`.
    var onReady: (() -> Void)?
    private var arguments: [LuaValue]
    private(set) var isWaiting = false
    private var cancelled = false
    private var timer: Scheduled<Void>?

    /// The transaction the code runs for (`core.done`, `act.wake_time`...), nil for tasks.
    let transaction: LuaTransaction?
    /// The context events are delivered to (the stream's transaction state, the task, the service): what
    /// `Queue:alarm()` registers while this run's code runs. The context owns the run (no weak reference: that
    /// would allocate a side table per transaction).
    unowned(unsafe) var context: (any LuaEventTarget)?
    /// Suspended in `core.wait()`: an event of the context (`wakeForEvent()`) or its optional timer resumes it.
    private(set) var isWaitingForEvent = false

    init(
        coroutine: LuaCoroutine, box: LuaStateBox, eventLoop: any EventLoop, arguments: [LuaValue],
        transaction: LuaTransaction?
    ) {
        self.coroutine = coroutine
        self.box = box
        self.eventLoop = eventLoop
        self.arguments = arguments
        self.transaction = transaction
    }

    /// Resumes the coroutine (the first call starts it with the initial arguments). Forced yields within the first
    /// `slice` of wall time resume at once: going back to the loop costs a poll, so the loop gets the hand back about
    /// once per slice rather than every `tune.lua.forced-yield` instructions.
    func step() -> Step {
        guard !self.isWaiting, !self.cancelled else { return .suspended }
        let started = NIODeadline.now()
        while true {
            let step = self.box.withState { _ in self.resume(forcedYieldsReturn: true) }
            guard case .suspended = step, self.forcedYieldPending else { return step }
            if NIODeadline.now() - started >= Self.slice {
                self.forcedYieldPending = false
                self.wait()
                self.rescheduleAfterIO()
                return .suspended
            }
            self.forcedYieldPending = false
        }
    }

    /// Wall time a run may keep the loop before a forced yield gives it back.
    static let slice = TimeAmount.microseconds(500)
    private var forcedYieldPending = false

    /// `step()` for a caller that already holds the state's lock (or has none to take): fetches and converters,
    /// which never wait.
    func stepHoldingLock() -> Step {
        guard !self.isWaiting, !self.cancelled else { return .suspended }
        let step = self.resume()
        if case .suspended = step {
            // Not yieldable: a forced yield cannot happen and a real one fails; never leave a run waiting.
            self.cancelInsideLock()
            return .failed(LuaError(code: .yieldNotAllowed, message: "yield not allowed"))
        }
        return step
    }

    private func resume(forcedYieldsReturn: Bool = false) -> Step {
        let arguments = self.arguments
        self.arguments = []
        let previous = self.box.current
        let previousContext = self.box.currentContext
        self.box.current = self.transaction
        self.box.currentContext = self.context
        let result = self.coroutine.resume(arguments: arguments)
        self.box.current = previous
        self.box.currentContext = previousContext
        switch result {
        case .finished(let values):
            return .finished(values)
        case .failed(let error):
            if self.transaction?.ending != nil, error.message.hasSuffix(LuaTransaction.doneMarker) {
                // `txn:done()` / `core.done()` unwound the code: a normal end.
                return .finished([])
            }
            return .failed(error)
        case .yielded(.forced), .yielded(.script):
            // A forced yield (instruction budget) or a script's own top-level `coroutine.yield`: go on at the
            // next turn of the loop, after the I/O and other work ready now.
            if forcedYieldsReturn {
                self.forcedYieldPending = true
                return .suspended
            }
            self.wait()
            self.rescheduleAfterIO()
            return .suspended
        case .yielded(.request(let request)):
            return self.arrange(request)
        }
    }

    private func arrange(_ request: Any) -> Step {
        switch request {
        case CoreRequest.sleep(let milliseconds):
            self.wait()
            let delay = TimeAmount.milliseconds(min(milliseconds, Int64(Int32.max)))
            self.timer = self.eventLoop.assumeIsolated().scheduleTask(in: delay) { self.ready([]) }
        case CoreRequest.yield:
            self.wait()
            self.rescheduleAfterIO()
        case CoreRequest.wait(let milliseconds):
            // No reschedule: only an event of the context, or the delay when one was given, resumes it.
            self.wait()
            self.isWaitingForEvent = true
            if let milliseconds {
                let delay = TimeAmount.milliseconds(min(milliseconds, Int64(Int32.max)))
                self.timer = self.eventLoop.assumeIsolated().scheduleTask(in: delay) { self.ready([]) }
            }
        case let pending as LuaAwait:
            self.wait()
            pending.future.hop(to: self.eventLoop).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let values): self.ready(values)
                case .failure(let error): self.ready([.nil, LuaValue("\(error)")])
                }
            }
        default:
            self.cancel()
            return .failed(LuaError(code: .runtime, message: "unsupported yield request \(type(of: request))"))
        }
        return .suspended
    }

    /// Resumes after the loop has polled its sockets. NIO runs every task that is due before it polls again, so
    /// `execute` or a timer due "now" would starve the sockets of a script yielding in a loop; the timer is set far
    /// enough ahead to be still in the future when NIO checks its queue.
    private func rescheduleAfterIO() {
        self.timer = self.eventLoop.assumeIsolated().scheduleTask(in: Self.rescheduleDelay) { self.ready([]) }
    }

    /// How far ahead a "next loop turn" timer is set (see `rescheduleAfterIO`).
    static let rescheduleDelay = TimeAmount.microseconds(50)

    private func wait() {
        self.isWaiting = true
    }

    private func ready(_ values: [LuaValue]) {
        self.timer = nil
        guard self.isWaiting, !self.cancelled else { return }
        self.isWaiting = false
        self.isWaitingForEvent = false
        self.arguments = values
        self.onReady?()
    }

    /// An event of the run's context: code waiting in `core.wait()` is resumed at the owner's next `step()`, which
    /// the caller is about to do (no `onReady`). Other waits ignore events. True when it ended a wait.
    @discardableResult
    func wakeForEvent() -> Bool {
        guard self.isWaitingForEvent, self.isWaiting, !self.cancelled else { return false }
        self.timer?.cancel()
        self.timer = nil
        self.isWaiting = false
        self.isWaitingForEvent = false
        self.arguments = []
        return true
    }

    /// An event of the run's context, from outside its owner (a `Queue:alarm()` push): code waiting in `core.wait()`
    /// goes on, through `onReady`.
    func event() {
        guard self.isWaitingForEvent else { return }
        self.timer?.cancel()
        self.ready([])
    }

    /// Stops the run: a pending timer is cancelled, a late completion is ignored, a suspended coroutine is closed
    /// (its to-be-closed variables run).
    func cancel() {
        guard !self.cancelled else { return }
        self.cancelled = true
        self.onReady = nil
        self.timer?.cancel()
        self.timer = nil
        if self.coroutine.status == .suspended {
            self.box.withState { _ in self.coroutine.close() }
        }
    }

    private func cancelInsideLock() {
        self.cancelled = true
        self.onReady = nil
        self.timer?.cancel()
        self.timer = nil
        if self.coroutine.status == .suspended { self.coroutine.close() }
    }
}
