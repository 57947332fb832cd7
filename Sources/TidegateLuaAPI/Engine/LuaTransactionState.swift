import NIOCore
import TidegateCore
import TidegateLua

/// An action of a transaction that has not finished.
enum LuaPendingAction {
    /// Suspended inside its function (sleep, I/O, `core.wait`...).
    case running(LuaRun)
    /// Returned `act.YIELD`: it runs again from the start at the stream's next wake-up; `rerun` is the timer of
    /// that wake-up when there is one (`act.wake_time`, or the next loop turn where no stream event would come).
    case yielded(rerun: Scheduled<Void>?)

    func cancel() {
        switch self {
        case .running(let run): run.cancel()
        case .yielded(let rerun): rerun?.cancel()
        }
    }
}

/// The engine's state for one transaction, kept in `SampleContext.scriptState`: the `LuaTransaction`, the
/// coroutine reused by the transaction's actions in each state, and the action that is waiting, if any. It is the
/// context events are delivered to (`Queue:alarm()`), as HAProxy wakes the stream.
final class LuaTransactionState: ScriptTransactionState, LuaEventTarget {
    let transaction: LuaTransaction
    let eventLoop: any EventLoop
    /// Per state used by the transaction (almost always one): the coroutine reused by its actions, and the one
    /// for fetches and converters (which may run while an action is suspended, from rules or log formats).
    private struct PerState {
        let box: LuaStateBox
        var action: LuaCoroutine?
        var samples: LuaCoroutine?
    }
    private var states: [PerState] = []
    /// The action in progress (suspended, or to be run again after `act.YIELD`), identified by its rule.
    var pending: (action: LuaRuleAction.Identity, state: LuaPendingAction)?

    init(transaction: LuaTransaction, eventLoop: any EventLoop) {
        self.transaction = transaction
        self.eventLoop = eventLoop
    }

    /// An event for the stream (a `Queue:alarm()` push), as HAProxy wakes the stream's task: an action waiting in
    /// `core.wait()` goes on, one that returned `act.YIELD` runs again.
    func event() {
        switch self.pending?.state {
        case .running(let run)?: run.event()
        case .yielded?: self.transaction.samples.wake?()
        case nil: break
        }
    }

    /// A coroutine of `box` ready to run `function`: the previous one reused when it finished normally, else one
    /// from the box's idle pool.
    func coroutine(for function: LuaFunction, in box: LuaStateBox, forSamples: Bool) throws(LuaError) -> LuaCoroutine {
        let index = self.use(box)
        if let existing = forSamples ? self.states[index].samples : self.states[index].action,
            existing.restart(function)
        {
            return existing
        }
        let coroutine = try box.coroutine(for: function)
        if forSamples {
            self.states[index].samples = coroutine
        } else {
            self.states[index].action = coroutine
        }
        return coroutine
    }

    /// Records that the transaction runs code of `box` (its objects are then released under that state's lock);
    /// returns the state's position.
    @discardableResult
    func use(_ box: LuaStateBox) -> Int {
        if let found = self.states.firstIndex(where: { $0.box === box }) { return found }
        self.states.append(PerState(box: box))
        return self.states.count - 1
    }

    func end() {
        if let pending = self.pending {
            self.pending = nil
            pending.state.cancel()
        }
        // Objects and coroutines belong to their states: release them under the shared state's lock. Finished
        // coroutines go back to their state's pool.
        let transaction = self.transaction
        let states = self.states
        self.states.removeAll()
        for entry in states {
            entry.box.withState { _ in
                if let action = entry.action { entry.box.recycle(action) }
                if let samples = entry.samples { entry.box.recycle(samples) }
            }
        }
        let objects = transaction.objects
        transaction.objects.removeAll()
        transaction.txnObjects.removeAll()
        for (state, handle) in objects {
            if let box = states.first(where: { $0.box.state === state })?.box {
                box.withState { $0.invalidate(handle) }
            } else {
                state.invalidate(handle)
            }
        }
        transaction.priv = .nil
    }
}
