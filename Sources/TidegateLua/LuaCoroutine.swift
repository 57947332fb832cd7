import CTidegateLua

/// Why a coroutine gave control back without finishing.
public enum LuaYieldReason {
    /// The count hook forced a yield (instruction budget): reschedule and resume with no arguments.
    case forced
    /// A Swift function asked to wait (`LuaFunctionResult.yield`); resume with its result when ready.
    case request(Any)
    /// The script called `coroutine.yield` itself, with these values.
    case script([LuaValue])
}

/// The outcome of one `LuaCoroutine.resume`.
public enum LuaResumeResult {
    case finished([LuaValue])
    case yielded(LuaYieldReason)
    case failed(LuaError)
}

/// A Lua thread running one function, anchored in the registry (`lua_newthread` + `luaL_ref`) until it finishes,
/// fails or is released.
///
/// Every `forcedYieldInstructions` instructions the C count hook asks this coroutine whether to go on: it yields
/// (`.forced`) where the coroutine can yield, and once the CPU time accumulated over all resumes passes
/// `timeLimit` it raises "execution timeout" in any context, yieldable or not.
public final class LuaCoroutine {
    public enum Status: Sendable {
        case suspended, finished, failed
    }

    public let state: LuaState
    let thread: OpaquePointer
    private var reference: Int32
    public private(set) var status: Status = .suspended

    /// Instructions between two forced yields (HAProxy's `tune.lua.forced-yield`); 0 disables forced yields.
    public var forcedYieldInstructions: Int = 10_000
    /// CPU-time budget over all resumes; nil for none.
    public var timeLimit: Duration?
    /// CPU-time budget of a single resume (HAProxy's `tune.lua.burst-timeout`); nil for none.
    public var burstLimit: Duration?
    /// Whether the coroutine may yield. When false (run to completion, e.g. load-time code), the count hook never
    /// forces a yield, a Swift function asking to yield raises "yield not allowed" (`.yieldNotAllowed`), and a
    /// script's own `coroutine.yield` still returns `.yielded(.script)` to the caller, which should `close()` it.
    public var yieldAllowed = true
    /// Thread CPU time spent in this coroutine's resumes so far.
    public private(set) var cpuTime: Duration = .zero

    private var cpuDeadline: Duration?
    private var timedOut = false
    private var pendingRequest: Any?
    private var pendingContinuation: LuaSwiftFunction?

    /// Instructions between two checks when forced yields are disabled but a time limit is set.
    private static let timeCheckInstructions = 10_000

    /// Creates a suspended coroutine that will call `function` on its first resume.
    public init(_ function: LuaFunction) throws(LuaError) {
        let state = function.state
        var thread: OpaquePointer?
        var reference = LUA_NOREF
        let status = tg_lua_newcoroutine(state.mainThread, function.reference, &thread, &reference)
        guard status == LUA_OK, let thread else {
            throw LuaError(code: LuaState.code(forStatus: status), message: "cannot create a coroutine")
        }
        self.state = state
        self.thread = thread
        self.reference = reference
    }

    deinit {
        self.release()
    }

    /// Runs the coroutine until it finishes, yields or fails. The first resume passes `arguments` to the
    /// function; later ones pass them as the results of the yield (to a Swift function's continuation, or to
    /// `coroutine.yield`). After `.finished` or `.failed` the coroutine is released.
    public func resume(arguments: [LuaValue] = []) -> LuaResumeResult {
        guard self.status == .suspended else {
            return .failed(LuaError(code: .runtime, message: "cannot resume a \(self.status) coroutine"))
        }
        let main = self.state.mainThread
        let mainTop = lua_gettop(main)
        defer { lua_settop(main, mainTop) }

        self.state.releaseOrphanedReferences()
        let (pushStatus, argumentCount) = self.state.push(arguments, onto: main)
        guard pushStatus == LUA_OK, lua_checkstack(self.thread, argumentCount) != 0 else {
            let code = pushStatus == LUA_OK ? LuaError.Code.memory : LuaState.code(forStatus: pushStatus)
            return self.fail(LuaError(code: code, message: self.state.errorMessage(above: mainTop)))
        }
        lua_xmove(main, self.thread, argumentCount)

        let start = ThreadCPUClock.now()
        let cumulative = self.timeLimit.map { start + ($0 - self.cpuTime) }
        let burst = self.burstLimit.map { start + $0 }
        switch (cumulative, burst) {
        case (let a?, let b?): self.cpuDeadline = min(a, b)
        case (let a?, nil): self.cpuDeadline = a
        case (nil, let b): self.cpuDeadline = b
        }
        let hookCount: Int
        if self.forcedYieldInstructions > 0 && self.yieldAllowed {
            hookCount = self.forcedYieldInstructions
        } else {
            hookCount = self.cpuDeadline == nil ? 0 : Self.timeCheckInstructions
        }
        let previous = self.state.running
        self.state.running = self
        var resultCount: Int32 = 0
        let status = tg_lua_resume(
            self.thread, main, argumentCount, &resultCount, Int32(clamping: hookCount), self.yieldAllowed ? 1 : 0)
        self.state.running = previous
        self.cpuTime += ThreadCPUClock.now() - start

        switch status {
        case LUA_OK:
            guard let values = self.takeValues(resultCount, mainTop: mainTop) else {
                return self.fail(LuaError(code: .runtime, message: self.state.errorMessage(above: mainTop)))
            }
            // The thread stays anchored: `restart(_:)` can run another function on it.
            self.status = .finished
            self.pendingRequest = nil
            self.pendingContinuation = nil
            return .finished(values)
        case LUA_YIELD:
            guard let values = self.takeValues(resultCount, mainTop: mainTop) else {
                return self.fail(LuaError(code: .runtime, message: self.state.errorMessage(above: mainTop)))
            }
            switch Int(self.state.runtime.pointee.yield_reason) {
            case Int(TG_LUA_YIELDED_BY_HOOK):
                return .yielded(.forced)
            case Int(TG_LUA_YIELDED_BY_FUNCTION):
                let request = self.pendingRequest
                self.pendingRequest = nil
                return .yielded(.request(request as Any))
            default:
                return .yielded(.script(values))
            }
        default:
            return self.fail(self.describeFailure(status: status, mainTop: mainTop))
        }
    }

    /// Moves `count` values from the top of the thread to the main thread and converts them. Removing them from
    /// the thread is what `lua_resume` expects before the next resume.
    private func takeValues(_ count: Int32, mainTop: Int32) -> [LuaValue]? {
        guard count > 0 else { return [] }
        guard lua_checkstack(self.state.mainThread, count + 2) != 0 else {
            lua_settop(self.thread, lua_gettop(self.thread) - count)
            return nil
        }
        lua_xmove(self.thread, self.state.mainThread, count)
        return self.state.values(in: self.state.mainThread, from: mainTop + 1, to: mainTop + count)
    }

    private func describeFailure(status: Int32, mainTop: Int32) -> LuaError {
        let main = self.state.mainThread
        let code: LuaError.Code
        if self.timedOut {
            code = .timeout
        } else if status == LUA_ERRMEM {
            code = .memory
        } else if self.state.runtime.pointee.refused_yield != 0 {
            code = .yieldNotAllowed
        } else {
            code = LuaState.code(forStatus: status)
        }
        guard lua_checkstack(main, 4) != 0 else {
            return LuaError(code: code, message: "not enough memory")
        }
        lua_xmove(self.thread, main, 1)
        let errorTop = lua_gettop(main) - 1
        guard tg_lua_describe_error(main, self.thread, 0) == LUA_OK else {
            return LuaError(code: code, message: self.state.errorMessage(above: errorTop))
        }
        let message = LuaState.string(at: -2, in: main) ?? ""
        let traceback = LuaState.string(at: -1, in: main)
        // A memory error caught and re-raised by a Swift function arrives as a runtime error.
        let finalCode = (code == .runtime && message == "not enough memory") ? .memory : code
        return LuaError(code: finalCode, message: message, traceback: traceback)
    }

    /// Reuses a finished coroutine's thread for another function (HAProxy keeps one Lua thread per stream and
    /// runs each action of the stream on it). The CPU time and timeout state start again from zero. Returns false
    /// if the coroutine did not finish normally (a failed one must be replaced).
    public func restart(_ function: LuaFunction) -> Bool {
        guard self.isRestartable, function.state === self.state, lua_checkstack(self.thread, 1) != 0
        else { return false }
        lua_rawgeti(self.thread, tg_lua_registryindex(), lua_Integer(function.reference))
        self.status = .suspended
        self.cpuTime = .zero
        self.timedOut = false
        return true
    }

    /// Whether `restart(_:)` can reuse this coroutine (it finished normally and its thread is empty).
    public var isRestartable: Bool {
        self.status == .finished && self.reference != LUA_NOREF && lua_gettop(self.thread) == 0
    }

    /// Abandons a suspended coroutine: closes its pending to-be-closed variables and releases it.
    public func close() {
        guard self.status == .suspended else { return }
        _ = self.fail(LuaError(code: .runtime, message: "coroutine closed"))
    }

    private func fail(_ error: LuaError) -> LuaResumeResult {
        self.status = .failed
        // Close pending to-be-closed variables, then let the thread be collected.
        _ = tg_lua_closethread(self.thread, self.state.mainThread)
        self.release()
        return .failed(error)
    }

    private func release() {
        self.pendingRequest = nil
        self.pendingContinuation = nil
        if self.reference != LUA_NOREF {
            self.state.unreference(self.reference)
            self.reference = LUA_NOREF
        }
    }

    // MARK: Engine hooks

    /// Asked by the count hook every N instructions while this coroutine is being resumed.
    func hookDecision() -> Int32 {
        if let deadline = self.cpuDeadline, ThreadCPUClock.now() >= deadline {
            self.timedOut = true
            return Int32(TG_LUA_HOOK_TIMEOUT)
        }
        return Int32(self.forcedYieldInstructions > 0 ? TG_LUA_HOOK_YIELD : TG_LUA_HOOK_CONTINUE)
    }

    func suspend(request: Any, continuation: @escaping LuaSwiftFunction) {
        self.pendingRequest = request
        self.pendingContinuation = continuation
    }

    func takeContinuation() -> LuaSwiftFunction? {
        defer { self.pendingContinuation = nil }
        return self.pendingContinuation
    }
}
