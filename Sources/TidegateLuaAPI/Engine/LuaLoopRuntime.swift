import NIOCore
import TidegateCore
import TidegateLua

/// The Lua engine as one event loop sees it: its own state (`lua-load-per-thread`), the shared state, and the
/// runs of its streams and tasks. Set as `SampleContext.scriptHost` of the loop's streams. Confined to the loop.
public final class LuaLoopRuntime {
    let engine: LuaEngine
    public let eventLoop: any EventLoop
    /// The loop's position (0-based).
    let index: Int
    let loopCount: Int
    /// Running tasks (kept alive until they end).
    var tasks: [ObjectIdentifier: LuaTask] = [:]

    public init(engine: LuaEngine, eventLoop: any EventLoop, index: Int, loopCount: Int) {
        self.engine = engine
        self.eventLoop = eventLoop
        self.index = index
        self.loopCount = loopCount
    }

    /// The transaction state of `context`, created on first Lua use.
    func transactionState(for context: SampleContext, isHTTP: Bool, running: LuaTransaction.Context)
        -> LuaTransactionState
    {
        if let state = context.scriptState as? LuaTransactionState {
            state.transaction.context = running
            return state
        }
        let log: (Int, String) -> Void
        if let proxyLog = self.engine.proxyLog {
            let frontend = context.frontendName
            log = { level, message in proxyLog(frontend, level, message) }
        } else {
            log = self.engine.log
        }
        let transaction = LuaTransaction(
            samples: context, isHTTP: isHTTP, context: running, options: self.engine.options, log: log)
        let state = LuaTransactionState(transaction: transaction, eventLoop: self.eventLoop)
        context.scriptState = state
        return state
    }

    /// Configures a coroutine's limits for `kind` of code (HAProxy's tune.lua.* timeouts).
    func configure(_ coroutine: LuaCoroutine, box: LuaStateBox, timeout: Int?, yieldable: Bool) {
        let configuration = self.engine.configuration
        coroutine.timeLimit = timeout.map { .milliseconds($0) }
        coroutine.burstLimit = configuration.burstTimeout.map { .milliseconds($0) }
        coroutine.forcedYieldInstructions = self.engine.forcedYield(for: box, loopCount: self.loopCount)
        coroutine.yieldAllowed = yieldable
    }

    /// Logs a failed execution the way HAProxy does: `Lua <kind> '<name>': <message>` plus the traceback.
    func logFailure(_ kind: String, _ name: String, _ error: LuaError) {
        self.engine.log(3, Self.failureMessage(kind, name, error, traceback: true))
    }

    /// `Lua <kind> '<name>': <message>`, with the traceback on the same line when `traceback` is set.
    static func failureMessage(_ kind: String, _ name: String, _ error: LuaError, traceback: Bool) -> String {
        var text = "Lua \(kind) '\(name)': "
        switch error.code {
        case .timeout: text += "execution timeout"
        case .memory: text += "out of memory error"
        case .yieldNotAllowed: text += "yield not allowed"
        default: text += "runtime error: \(error.message)"
        }
        if traceback, let trace = error.traceback, !trace.isEmpty {
            let lines = trace.split(separator: "\n").map { $0.trimmingCharacters() }
                .filter { $0 != "stack traceback:" }
            if !lines.isEmpty { text += " from " + lines.joined(separator: ", ") }
        }
        return text
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(self.drop { $0 == " " || $0 == "\t" })
    }
}
