import TidegateCore
import TidegateLua

/// `http-request lua.<name> [args]` and the other rule sets: runs the function registered with
/// `core.register_action` as `fn(txn, args...)` in the stream's coroutine, and maps its result to what the proxy
/// does next (HAProxy's `hlua_action`).
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
        if let pending = state.pending, pending.action == ObjectIdentifier(self) {
            run = pending.run
            if final && run.isWaiting {
                // The rules must finish now (inspect-delay expired): HAProxy resumes it unable to yield; it fails.
                state.pending = nil
                run.cancel()
                runtime.logFailure(
                    "function", "lua.\(self.name)", LuaError(code: .yieldNotAllowed, message: "yield not allowed"))
                return .continue
            }
        } else {
            if let stale = state.pending {
                // Another action was waiting (its rule set was abandoned): drop it.
                state.pending = nil
                stale.run.cancel()
            }
            guard let (box, registered) = runtime.engine.box(for: self.name, loop: runtime.index, in: { $0.actions })
            else {
                runtime.engine.log(3, "Lua action 'lua.\(self.name)' is not registered in this state")
                return .continue
            }
            do {
                run = try box.withState { state throws(LuaError) -> LuaRun in
                    let transaction = runtimeTransaction(context)
                    let txn = try LuaTXNBindings.txn(for: transaction, in: state)
                    let coroutine = try (context.scriptState as! LuaTransactionState)
                        .coroutine(for: registered.function, in: box, forSamples: false)
                    runtime.configure(coroutine, box: box, timeout: runtime.engine.configuration.sessionTimeout, yieldable: !final)
                    return LuaRun(
                        coroutine: coroutine, box: box, eventLoop: runtime.eventLoop,
                        arguments: [.object(txn)] + self.arguments, transaction: transaction)
                }
            } catch {
                runtime.logFailure("action", "lua.\(self.name)", error)
                return .continue
            }
            run.onReady = { [unowned(unsafe) context] in context.wake?() }
            state.pending = (ObjectIdentifier(self), run)
        }
        let step = run.step()
        if case .suspended = step { return .suspend }
        state.pending = nil
        return self.outcome(of: step, transaction: state.transaction, facility: facility, runtime: runtime)
    }

    private func runtimeTransaction(_ context: SampleContext) -> LuaTransaction {
        (context.scriptState as! LuaTransactionState).transaction
    }

    private func outcome(
        of step: LuaRun.Step, transaction: LuaTransaction, facility: RuleFacility, runtime: LuaLoopRuntime
    ) -> ExternalActionOutcome {
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
            case .continue, .yield: return .continue
            case .stop: return .stop
            case .done: return facility == .tcpRequest || facility == .tcpResponse ? .stop : .abort
            case .error: return .respond(.error(500))
            case .deny: return .respond(.error(facility.isResponse ? 502 : 403))
            case .abort: return .abort
            case .invalid: return .respond(.error(facility.isResponse ? 502 : 400))
            }
        }
    }
}
