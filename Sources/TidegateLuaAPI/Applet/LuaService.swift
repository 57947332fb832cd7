import NIOCore
import TidegateCore
import TidegateHTTP
import TidegateLua

/// `use-service lua.<name>`: the function registered with `core.register_service` runs as `fn(applet)` in its own
/// coroutine, limited by `tune.lua.service-timeout`. A runtime error answers 500 when no response was started.
final class LuaService: ExternalService {
    let name: String
    let mode: ServiceMode

    init(name: String, mode: ServiceMode) {
        self.name = name
        self.mode = mode
    }

    func start(in context: SampleContext, io: any ServiceIO) -> any RunningService {
        let run = LuaServiceRun(service: self, context: context, io: io)
        run.start()
        return run
    }
}

/// A running service. Its events, which end a `core.wait()`: the client's data (or the end of it), room to write
/// to the client, `Queue:alarm()` pushes.
final class LuaServiceRun: RunningService, LuaEventTarget {
    let service: LuaService
    let context: SampleContext
    let io: any ServiceIO
    private var applet: LuaApplet?
    private var run: LuaRun?
    private var runtime: LuaLoopRuntime?

    init(service: LuaService, context: SampleContext, io: any ServiceIO) {
        self.service = service
        self.context = context
        self.io = io
    }

    func start() {
        guard let runtime = self.context.scriptHost as? LuaLoopRuntime,
            let (box, registered) = runtime.engine.box(for: self.service.name, loop: runtime.index, in: { $0.services })
        else {
            if self.service.mode == .http { self.io.write(HTTPErrorPage.defaultResponse(for: 500)) }
            self.io.finish()
            return
        }
        self.runtime = runtime
        let state = runtime.transactionState(
            for: self.context, isHTTP: self.service.mode == .http, running: .service(self.service.mode))
        let applet = LuaApplet(
            io: self.io, mode: self.service.mode, transaction: state.transaction, eventLoop: runtime.eventLoop)
        applet.txnRuntime = box.txnRuntime
        self.applet = applet
        do {
            self.run = try box.withState { luaState throws(LuaError) -> LuaRun in
                let object = try LuaAppletBindings.makeObject(for: applet, in: luaState)
                let coroutine = try box.coroutine(for: registered.function)
                runtime.configure(
                    coroutine, box: box, timeout: runtime.engine.configuration.serviceTimeout, yieldable: true)
                return LuaRun(
                    coroutine: coroutine, box: box, eventLoop: runtime.eventLoop, arguments: [.object(object)],
                    transaction: state.transaction)
            }
        } catch {
            runtime.logFailure("service", "lua.\(self.service.name)", error)
            applet.fail()
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
        case .failed(let error):
            self.run = nil
            self.runtime?.logFailure("service", "lua.\(self.service.name)", error)
            applet.fail()
        }
    }

    func inputAvailable() {
        self.applet?.inputAvailable()
        self.event()
    }

    func outputWritable() {
        self.event()
    }

    func cancel() {
        self.run?.cancel()
        self.run = nil
        self.applet?.cancel()
    }
}
