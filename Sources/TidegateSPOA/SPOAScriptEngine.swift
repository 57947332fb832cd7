import NIOCore
import SPOP

/// How one handler call ended.
public enum SPOAHandlerOutcome: Sendable, Equatable {
    /// The handler returned; its actions stand.
    case done
    /// The handler raised an error or ran out of memory (the description has the script's traceback).
    case failed(String)
    /// The handler used up its time budget and was cut off.
    case timedOut(String)
}

/// A handler call in progress that the agent may abandon (its connection closed).
protocol SPOAHandlerRun: AnyObject {
    /// Stops the call; its completion will not be called.
    func cancel()
}

/// A script engine of one worker (one interpreter per worker for Lua). Confined to the worker's event loop.
protocol SPOAScriptEngine: AnyObject {
    /// Loads a script; the script registers its handlers through the worker while it runs.
    func load(path: String) throws

    /// Starts handler number `handler` (as given to `SPOAWorker.register`) for one message. `completion` is
    /// called exactly once on the worker's loop, possibly before this returns (then the result is nil), unless
    /// the returned run is cancelled first.
    func start(
        handler: Int, message: SPOPMessage, actions: SPOAActionBuffer,
        completion: @escaping (SPOAHandlerOutcome) -> Void
    ) -> SPOAHandlerRun?
}

/// Which engine and handler serve a message name.
struct SPOAMessageRoute {
    unowned let engine: any SPOAScriptEngine
    let handler: Int
}
