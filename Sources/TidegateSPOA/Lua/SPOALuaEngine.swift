import Logging
import NIOCore
import SPOP
import TidegateLua

/// The Lua engine of one worker: one Lua 5.4 state with the `spoa` module, the handlers scripts registered,
/// and a few finished coroutines kept for reuse. Handlers run in coroutines under the worker's limits: a count
/// hook yields every `forcedYieldInstructions` so that the loop serves its other connections, and the CPU time
/// of a call is capped by `handlerTimeout` (the call then fails with "execution timeout").
final class SPOALuaEngine: SPOAScriptEngine {
    let state: LuaState
    unowned let worker: SPOAWorker
    /// Registered handler functions, by handler number.
    private(set) var handlers: [(name: String, function: LuaFunction)] = []
    /// Where `spoa.set_var_*` write: the actions of the handler call being resumed, nil outside one.
    var currentActions: SPOAActionBuffer?
    private var idleCoroutines: [LuaCoroutine] = []
    private static let maxIdleCoroutines = 32

    init(worker: SPOAWorker) throws(LuaError) {
        self.worker = worker
        state = try LuaState(maxMemory: worker.configuration.limits.luaMaxMemory)
        try state.setGlobal("spoa", module: SPOALuaModule.make(engine: self))
    }

    func load(path: String) throws {
        // `require` finds modules next to the script first (HAProxy's example loads `print_r.lua` so).
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        try state.run(
            chunk: "local dir = ...; package.path = dir .. '/?.lua;' .. package.path",
            name: "spoa-path", arguments: [LuaValue(directory)])
        let chunk = try state.loadFile(path: path, allowPrecompiled: true)
        _ = try chunk.call([])
    }

    /// `spoa.register_message(name, fn)`: registers `fn` behind a wrapper that builds its `args` table in Lua from
    /// flat name/value arguments (cheaper than building the nested tables in Swift).
    func register(name: String, function: LuaFunction) throws(LuaError) {
        guard case .function(let wrapper)? = try state.run(
            chunk: Self.argumentsWrapper, name: "spoa-args", arguments: [.function(function)]
        ).first else {
            throw LuaError(code: .runtime, message: "cannot wrap the handler of '\(name)'")
        }
        handlers.append((name, wrapper))
        worker.register(name, engine: self, handler: handlers.count - 1)
    }

    /// Called with `name1, value1, name2, value2, ...`; calls the handler with `{{name=, value=}, ...}`.
    private static let argumentsWrapper = """
        local handler = ...
        local pack = table.pack
        return function(...)
            local flat = pack(...)
            local args = {}
            for i = 1, flat.n, 2 do
                args[(i + 1) // 2] = { name = flat[i], value = flat[i + 1] }
            end
            return handler(args)
        end
        """

    func start(
        handler: Int, message: SPOPMessage, actions: SPOAActionBuffer,
        completion: @escaping (SPOAHandlerOutcome) -> Void
    ) -> SPOAHandlerRun? {
        let function = handlers[handler].function
        let coroutine: LuaCoroutine
        do {
            coroutine = try makeCoroutine(function)
        } catch {
            completion(.failed("\(error)"))
            return nil
        }
        let run = SPOALuaRun(
            engine: self, coroutine: coroutine, actions: actions,
            arguments: SPOALuaValues.flatArguments(message.arguments), completion: completion)
        run.step()
        return run.isFinished ? nil : run
    }

    private func makeCoroutine(_ function: LuaFunction) throws(LuaError) -> LuaCoroutine {
        let limits = worker.configuration.limits
        let coroutine: LuaCoroutine
        if let reused = idleCoroutines.popLast(), reused.restart(function) {
            coroutine = reused
        } else {
            coroutine = try LuaCoroutine(function)
        }
        coroutine.forcedYieldInstructions = limits.forcedYieldInstructions
        coroutine.timeLimit = limits.handlerTimeout
        return coroutine
    }

    /// Keeps a coroutine that finished normally for the next call (HAProxy reuses its Lua threads too).
    func recycle(_ coroutine: LuaCoroutine) {
        guard coroutine.isRestartable, idleCoroutines.count < Self.maxIdleCoroutines else { return }
        idleCoroutines.append(coroutine)
    }
}
