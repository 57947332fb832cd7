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
        guard let runtime = context.scriptHost as? LuaLoopRuntime,
            let (box, registered) = runtime.engine.box(for: self.name, loop: runtime.index, in: { $0.services })
        else {
            if self.mode == .http { io.write(HTTPErrorPage.defaultResponse(for: 500)) }
            io.finish()
            return LuaAppletRun.finished
        }
        let state = runtime.transactionState(for: context, isHTTP: self.mode == .http, running: .service(self.mode))
        state.use(box)
        let applet = LuaApplet(io: io, mode: self.mode, transaction: state.transaction, eventLoop: runtime.eventLoop)
        let run = LuaAppletRun(applet: applet, runtime: runtime, kind: "service", name: "lua.\(self.name)")
        run.start(
            box: box, function: registered.function, arguments: [],
            timeout: runtime.engine.configuration.serviceTimeout)
        return run
    }
}
