import CTidegatePython
import Dispatch
import NIOCore
import NIOPosix
import SPOP

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
