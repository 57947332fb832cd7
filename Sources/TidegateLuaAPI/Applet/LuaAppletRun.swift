import NIOCore
import TidegateCore
import TidegateLua

/// Runs an applet function in its own coroutine on the loop: a service (`fn(applet)`) or a runtime API command
/// (`fn(applet, words...)`). Steps the coroutine as it waits; when the function returns, the applet's output is
/// completed; when it fails (runtime error, timeout, out of memory), the failure is logged as
/// `Lua <kind> '<name>': ...` with its traceback, `onFailure` runs, and the applet fails (an HTTP service answers 500
/// if it had not started its response). Its events, which end a `core.wait()`: the client's data (or the end of it),
/// room to write to the client, `Queue:alarm()` pushes.
final class LuaAppletRun: RunningService, LuaEventTarget {
    let applet: LuaApplet?
    let runtime: LuaLoopRuntime?
    let kind: String
    let name: String
    /// Called once the run failed, before the applet fails (the runtime API answers the error).
    var onFailure: ((LuaError) -> Void)?
    /// Called once the run is over, however it ended.
    var onEnd: (() -> Void)?
    private var run: LuaRun?

    init(applet: LuaApplet, runtime: LuaLoopRuntime, kind: String, name: String) {
        self.applet = applet
        self.runtime = runtime
        self.kind = kind
        self.name = name
    }

    private init() {
        self.applet = nil
        self.runtime = nil
        self.kind = ""
        self.name = ""
    }

    /// A run that has nothing to do (the function could not be found; the applet's output is already complete).
    static var finished: LuaAppletRun { LuaAppletRun() }

    /// Starts `function(applet, arguments...)` from `box`, with a CPU-time limit of `timeout` milliseconds.
    func start(box: LuaStateBox, function: LuaFunction, arguments: [LuaValue], timeout: Int?) {
        guard let applet, let runtime else { return }
        applet.txnRuntime = box.txnRuntime
        do {
            self.run = try box.withState { luaState throws(LuaError) -> LuaRun in
                let object = try LuaAppletBindings.makeObject(for: applet, in: luaState)
                let coroutine = try box.coroutine(for: function)
                runtime.configure(coroutine, box: box, timeout: timeout, yieldable: true)
                return LuaRun(
                    coroutine: coroutine, box: box, eventLoop: runtime.eventLoop,
                    arguments: [.object(object)] + arguments, transaction: applet.transaction)
            }
        } catch {
            self.fail(error)
            return
        }
        self.run?.onReady = { [unowned self] in self.step() }
        self.run?.context = self
        self.step()
    }

    var eventLoop: any EventLoop { self.runtime!.eventLoop }

    func event() {
        self.run?.event()
    }

    private func step() {
        guard let run = self.run, let applet = self.applet else { return }
        switch run.step() {
        case .suspended:
            return
        case .finished:
            self.run = nil
            run.box.withState { _ in run.box.recycle(run.coroutine) }
            applet.finish()
            self.end()
        case .failed(let error):
            self.run = nil
            self.fail(error)
        }
    }

    private func fail(_ error: LuaError) {
        self.runtime?.logFailure(self.kind, self.name, error)
        self.onFailure?(error)
        self.applet?.fail()
        self.end()
    }

    private func end() {
        let onEnd = self.onEnd
        self.onEnd = nil
        self.onFailure = nil
        onEnd?()
    }

    func inputAvailable() {
        self.applet?.inputAvailable()
        self.event()
    }

    func outputWritable() {
        self.applet?.outputWritable()
        self.event()
    }

    func cancel() {
        self.run?.cancel()
        self.run = nil
        self.applet?.cancel()
        self.end()
    }
}
