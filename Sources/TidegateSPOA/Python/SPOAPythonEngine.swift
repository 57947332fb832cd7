import NIOCore
import SPOP

/// A worker's view of the Python handlers: routes its messages to the host's threads and brings results back
/// to its loop.
final class SPOAPythonEngine: SPOAScriptEngine {
    let host: SPOAPythonHost
    unowned let worker: SPOAWorker

    init(host: SPOAPythonHost, worker: SPOAWorker) {
        self.host = host
        self.worker = worker
    }

    /// The script already ran (once for all workers): register the handlers it registered.
    func load(path: String) throws {
        for handler in host.scripts.byScript[path] ?? [] {
            worker.register(host.scripts.handlers[handler].name, engine: self, handler: handler)
        }
    }

    func start(
        handler: Int, message: SPOPMessage, actions: SPOAActionBuffer,
        completion: @escaping (SPOAHandlerOutcome) -> Void
    ) -> SPOAHandlerRun? {
        let loop = worker.eventLoop
        let run = SPOAPythonRun(host: host, actions: actions, completion: completion)
        let bound = NIOLoopBound(run, eventLoop: loop)
        let timeout = worker.configuration.limits.handlerTimeout
        host.run(
            handler: handler, message: message, call: run.call,
            started: {
                // The time limit counts from when the handler starts, not while it waits for a thread.
                guard let timeout else { return }
                loop.execute { bound.value.startTimer(timeout, on: loop) }
            },
            done: { result in
                loop.execute { bound.value.finish(result) }
            })
        return run
    }
}
