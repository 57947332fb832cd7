import CTidegatePython
import Dispatch
import NIOCore
import NIOPosix
import SPOP
import Synchronization

/// The Python side of one agent: the handlers its `.py` scripts registered (loaded once: CPython has one
/// interpreter per process and one GIL) and the threads that run them, one per worker.
///
/// Handlers never run on the event loops: a loop hands the message to a handler thread, which takes the GIL,
/// calls the handler, collects its actions and hands the result back to the loop. Several handler threads let
/// a handler that waits (I/O, `time.sleep`, which release the GIL) not hold up the others.
final class SPOAPythonHost: Sendable {
    let runtime: SPOAPythonRuntime
    let scripts: SPOAPythonScripts
    private let threads: NIOThreadPool

    init(scripts paths: [String], threads count: Int) throws {
        runtime = try SPOAPythonRuntime.shared()
        scripts = try runtime.load(paths)
        threads = NIOThreadPool(numberOfThreads: max(1, count))
        threads.start()
    }

    func shutdown() async {
        try? await threads.shutdownGracefully()
    }

    /// What a handler call produced, handed back to the loop.
    struct Result: Sendable {
        var outcome: SPOAHandlerOutcome
        var actions: ByteBuffer
        var count: Int
    }

    /// Runs handler `handler` on a handler thread: `started` when it begins (after waiting for a free thread),
    /// `done` with the result; both are called on that thread.
    func run(
        handler: Int, message: SPOPMessage, call: SPOAPythonCall, started: @escaping @Sendable () -> Void,
        done: @escaping @Sendable (Result) -> Void
    ) {
        let function = scripts.handlers[handler].function
        threads.submit { state in
            guard case .active = state else {
                done(Result(outcome: .failed("the agent is stopping"), actions: ByteBuffer(), count: 0))
                return
            }
            started()
            done(self.call(function, message: message, call: call))
        }
    }

    private func call(_ function: PythonObject, message: SPOPMessage, call: SPOAPythonCall) -> Result {
        runtime.withHandlerThreadGIL {
            let actions = SPOAPythonActions()
            let ident = PyThread_get_thread_ident()
            call.begin(thread: ident)
            defer {
                call.end()
                // An interrupt that came too late to be raised must not hit this thread's next call.
                PyThreadState_SetAsyncExc(ident, nil)
            }
            let outcome = SPOAPythonActions.with(actions) { () -> SPOAHandlerOutcome in
                guard let arguments = SPOAPythonValues.arguments(message.arguments, runtime: runtime) else {
                    return .failed(SPOAPythonRuntime.takeException())
                }
                defer { tg_py_decref(arguments) }
                guard let keywords = PyDict_New() else { return .failed(SPOAPythonRuntime.takeException()) }
                defer { tg_py_decref(keywords) }
                PyDict_SetItemString(keywords, "args", arguments)
                guard let result = PyObject_Call(function.pointer, runtime.emptyTuple.pointer, keywords) else {
                    let timedOut = PyErr_ExceptionMatches(tg_py_exc_timeout_error()) != 0 && call.wasInterrupted
                    let description = SPOAPythonRuntime.takeException()
                    return timedOut ? .timedOut(description) : .failed(description)
                }
                tg_py_decref(result)
                return .done
            }
            return Result(outcome: outcome, actions: actions.bytes, count: actions.count)
        }
    }

    /// Raises `TimeoutError` in the thread running `call`, if it still runs it (from a thread of its own, since
    /// it must wait for the GIL).
    func interrupt(_ call: SPOAPythonCall) {
        DispatchQueue.global().async {
            self.runtime.withGIL {
                // With the GIL held the call cannot end meanwhile: the thread is still the call's.
                if let thread = call.interrupt() {
                    PyThreadState_SetAsyncExc(thread, tg_py_exc_timeout_error())
                }
            }
        }
    }
}

/// One handler call as the handler thread and the interrupter see it. Changed only with the GIL held.
final class SPOAPythonCall: Sendable {
    private struct State {
        var thread: UInt?
        var interrupted = false
    }

    private let state = Mutex(State())

    func begin(thread: UInt) { state.withLock { $0.thread = thread } }
    func end() { state.withLock { $0.thread = nil } }

    /// The thread to interrupt (nil if the call is not running); marks the call interrupted.
    func interrupt() -> UInt? {
        state.withLock { state in
            guard let thread = state.thread else { return nil }
            state.interrupted = true
            return thread
        }
    }

    var wasInterrupted: Bool { state.withLock { $0.interrupted } }
}

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

/// A Python handler call seen from the loop: finished by its result, its timeout, or its cancellation,
/// whichever comes first.
final class SPOAPythonRun: SPOAHandlerRun {
    let call = SPOAPythonCall()
    private var timer: Scheduled<Void>?
    private let host: SPOAPythonHost
    private let actions: SPOAActionBuffer
    private var completion: ((SPOAHandlerOutcome) -> Void)?

    init(host: SPOAPythonHost, actions: SPOAActionBuffer, completion: @escaping (SPOAHandlerOutcome) -> Void) {
        self.host = host
        self.actions = actions
        self.completion = completion
    }

    func finish(_ result: SPOAPythonHost.Result) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        if result.outcome == .done {
            actions.append(encoded: result.actions, count: result.count)
        }
        completion(result.outcome)
    }

    func startTimer(_ timeout: Duration, on loop: any EventLoop) {
        guard completion != nil else { return }
        timer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(timeout / .nanoseconds(1)))) {
            self.timeOut(after: timeout)
        }
    }

    /// The ACK goes out empty now; the handler thread gets a `TimeoutError` to stop it.
    func timeOut(after timeout: Duration) {
        guard let completion else { return }
        self.completion = nil
        host.interrupt(call)
        completion(.timedOut("Python handler still running after \(timeout)"))
    }

    func cancel() {
        completion = nil
        timer?.cancel()
    }
}
