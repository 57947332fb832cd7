import TidegateCore
import TidegateLua

/// The engine's state for one transaction, kept in `SampleContext.scriptState`: the `LuaTransaction`, the
/// coroutine reused by the transaction's actions in each state, and the action that is waiting, if any.
final class LuaTransactionState: ScriptTransactionState {
    let transaction: LuaTransaction
    /// One reusable coroutine per state for actions, and one for fetches and converters (which may run while an
    /// action is suspended, from rules or log formats).
    private var actionCoroutines: [ObjectIdentifier: LuaCoroutine] = [:]
    private var sampleCoroutines: [ObjectIdentifier: LuaCoroutine] = [:]
    /// The action in progress (suspended), identified by its rule.
    var pending: (action: LuaRuleAction.Identity, run: LuaRun)?
    private var boxes: [ObjectIdentifier: LuaStateBox] = [:]

    init(transaction: LuaTransaction) {
        self.transaction = transaction
    }

    /// A coroutine of `box` ready to run `function`: the previous one reused when it finished normally.
    func coroutine(for function: LuaFunction, in box: LuaStateBox, forSamples: Bool) throws(LuaError) -> LuaCoroutine {
        let key = ObjectIdentifier(box)
        self.boxes[key] = box
        if let existing = forSamples ? self.sampleCoroutines[key] : self.actionCoroutines[key],
            existing.restart(function)
        {
            return existing
        }
        let coroutine = try LuaCoroutine(function)
        if forSamples {
            self.sampleCoroutines[key] = coroutine
        } else {
            self.actionCoroutines[key] = coroutine
        }
        return coroutine
    }

    func end() {
        if let pending = self.pending {
            self.pending = nil
            pending.run.cancel()
        }
        // Objects and coroutines belong to their states: release them under the shared state's lock.
        let transaction = self.transaction
        for (key, box) in self.boxes {
            box.withState { _ in
                self.actionCoroutines[key] = nil
                self.sampleCoroutines[key] = nil
            }
        }
        let objects = transaction.objects
        transaction.objects.removeAll()
        transaction.txnObjects.removeAll()
        for (state, handle) in objects {
            if let box = self.boxes.values.first(where: { $0.state === state }) {
                box.withState { $0.invalidate(handle) }
            } else {
                state.invalidate(handle)
            }
        }
        transaction.priv = .nil
    }
}
