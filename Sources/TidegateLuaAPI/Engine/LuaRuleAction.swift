import NIOCore
import TidegateCore
import TidegateLua

/// `http-request lua.<name> [args]` and the other rule sets: runs the function registered with
/// `core.register_action` as `fn(txn, args...)` in the stream's coroutine, and maps its result to what the proxy
/// does next (HAProxy's `hlua_action`).
///
/// The proxy calls `execute` again for a suspended rule on each wake-up of the stream: the action's own (its
/// sleep ended, its I/O completed), and in `mode tcp` each stream event (data, end of input, end of the
/// inspect-delay), in `mode http` the client's or server's data while the rules wait. A wake-up ends a
/// `core.wait()`, and runs again an action that returned `act.YIELD`.
final class LuaRuleAction: ExternalRuleAction {
    typealias Identity = ObjectIdentifier

    let name: String
    let arguments: [LuaValue]
    let isHTTP: Bool

    init(name: String, arguments: [String], isHTTP: Bool) {
        self.name = name
        self.arguments = arguments.map { LuaValue($0) }
        self.isHTTP = isHTTP
    }

    /// `act.*` return codes.
    enum Code: Int64 {
        case `continue` = 0, stop, yield, error, done, deny, abort, invalid
    }

    func execute(in context: SampleContext, facility: RuleFacility, final: Bool) -> ExternalActionOutcome {
        guard let runtime = context.scriptHost as? LuaLoopRuntime else { return .continue }
        // `tcp-request content` rules of an HTTP proxy run on a parsed request: the TXN is an HTTP one there.
        let state = runtime.transactionState(
            for: context, isHTTP: self.isHTTP || context.request != nil, running: .action(facility))
        let run: LuaRun
        switch state.pending {
        case (let action, .running(let pending))? where action == ObjectIdentifier(self):
            run = pending
            run.wakeForEvent()
            if final {
                if run.isWaiting {
                    // The rules must finish now (inspect-delay expired): HAProxy resumes it unable to yield; it fails.
                    state.pending = nil
                    run.cancel()
                    runtime.logFailure("function", "lua.\(self.name)", Self.yieldNotAllowed)
                    return .continue
                }
                // Resumed unable to yield, as HAProxy does once the rules are final.
                run.coroutine.yieldAllowed = false
            }
        case (let action, .yielded(let rerun))? where action == ObjectIdentifier(self):
            // `act.YIELD`: the stream woke up, the action runs again from the start (HAProxy re-executes it).
            rerun?.cancel()
            state.pending = nil
            guard let started = self.start(in: context, state: state, runtime: runtime, final: final) else {
                return .continue
            }
            run = started
        default:
            if let stale = state.pending {
                // Another action was waiting (its rule set was abandoned): drop it.
                state.pending = nil
                stale.state.cancel()
            }
            guard let started = self.start(in: context, state: state, runtime: runtime, final: final) else {
                return .continue
            }
            run = started
        }
        let step = run.step()
        if case .suspended = step { return .suspend }
        state.pending = nil
        return self.outcome(of: step, state: state, context: context, facility: facility, final: final)
    }

    static let yieldNotAllowed = LuaError(code: .yieldNotAllowed, message: "yield not allowed")

    /// A new run of the function for this rule, registered as the transaction's pending action.
    private func start(
        in context: SampleContext, state: LuaTransactionState, runtime: LuaLoopRuntime, final: Bool
    ) -> LuaRun? {
        guard let (box, registered) = runtime.engine.box(for: self.name, loop: runtime.index, in: { $0.actions })
        else {
            runtime.engine.log(3, "Lua action 'lua.\(self.name)' is not registered in this state")
            return nil
        }
        let run: LuaRun
        do {
            run = try box.withState { luaState throws(LuaError) -> LuaRun in
                let transaction = state.transaction
                let txn = try LuaTXNBindings.txn(for: transaction, in: luaState)
                let coroutine = try state.coroutine(for: registered.function, in: box, forSamples: false)
                runtime.configure(
                    coroutine, box: box, timeout: runtime.engine.configuration.sessionTimeout, yieldable: !final)
                transaction.wakeTime = nil
                return LuaRun(
                    coroutine: coroutine, box: box, eventLoop: runtime.eventLoop,
                    arguments: [.object(txn)] + self.arguments, transaction: transaction)
            }
        } catch {
            runtime.logFailure("action", "lua.\(self.name)", error)
            return nil
        }
        run.onReady = { [unowned(unsafe) context] in context.wake?() }
        run.context = state
        state.pending = (ObjectIdentifier(self), .running(run))
        return run
    }

    private func outcome(
        of step: LuaRun.Step, state: LuaTransactionState, context: SampleContext, facility: RuleFacility, final: Bool
    ) -> ExternalActionOutcome {
        let transaction = state.transaction
        let runtime = context.scriptHost as! LuaLoopRuntime
        if let ending = transaction.ending {
            transaction.ending = nil
            switch ending {
            case .reply(let response): return .respond(response)
            case .silent: return .abort
            }
        }
        switch step {
        case .suspended:
            return .suspend
        case .failed(let error):
            runtime.logFailure("function", "lua.\(self.name)", error)
            return .continue
        case .finished(let values):
            let code = values.first.flatMap { value -> Code? in
                if case .integer(let number) = value { return Code(rawValue: number) }
                if case .number(let number) = value, let exact = Int64(exactly: number) { return Code(rawValue: exact) }
                return nil
            } ?? .continue
            switch code {
            case .continue: return .continue
            case .yield:
                guard !final else {
                    // HAProxy: the rules cannot wait any longer (http-after-response, expired inspect-delay).
                    runtime.logFailure("function", "lua.\(self.name)", Self.yieldNotAllowed)
                    return .continue
                }
                state.pending = (ObjectIdentifier(self), .yielded(rerun: self.scheduleRerun(state, context, runtime)))
                return .suspend
            case .stop: return .stop
            case .done: return facility == .tcpRequest || facility == .tcpResponse ? .stop : .abort
            case .error: return .respond(.error(500))
            case .deny: return .respond(.error(facility.isResponse ? 502 : 403))
            case .abort: return .abort
            case .invalid: return .respond(.error(facility.isResponse ? 502 : 400))
            }
        }
    }

    /// When an action that returned `act.YIELD` runs again: after `act.wake_time(ms)` if it was called during the
    /// run, else at the stream's next event. Only `mode tcp` content rules get stream events while they wait (data,
    /// end of input, end of the inspect-delay); in HTTP rules the action runs again at the next loop turn, as after
    /// `core.yield()`. A stream event before the timer also runs it again (the timer is then cancelled).
    private func scheduleRerun(
        _ state: LuaTransactionState, _ context: SampleContext, _ runtime: LuaLoopRuntime
    ) -> Scheduled<Void>? {
        let delay: TimeAmount
        if let milliseconds = state.transaction.wakeTime {
            delay = .milliseconds(Int64(min(milliseconds, Int(Int32.max))))
        } else if context.requestChannel == nil {
            delay = LuaRun.rescheduleDelay
        } else {
            return nil
        }
        return runtime.eventLoop.assumeIsolated().scheduleTask(in: delay) { [unowned(unsafe) context] in
            context.wake?()
        }
    }
}
