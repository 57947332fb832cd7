import NIOCore
import TidegateLua

/// One handler call running in a coroutine on the worker's loop.
final class SPOALuaRun: SPOAHandlerRun {
    /// Forced yields within this much wall time resume at once; after it the loop gets the hand back.
    static let slice = TimeAmount.microseconds(500)

    private unowned let engine: SPOALuaEngine
    private let coroutine: LuaCoroutine
    private let actions: SPOAActionBuffer
    private var arguments: [LuaValue]
    private var completion: ((SPOAHandlerOutcome) -> Void)?
    private var timer: Scheduled<Void>?
    private(set) var isFinished = false

    init(
        engine: SPOALuaEngine, coroutine: LuaCoroutine, actions: SPOAActionBuffer, arguments: [LuaValue],
        completion: @escaping (SPOAHandlerOutcome) -> Void
    ) {
        self.engine = engine
        self.coroutine = coroutine
        self.actions = actions
        self.arguments = arguments
        self.completion = completion
    }

    func step() {
        let started = NIODeadline.now()
        while true {
            engine.currentActions = actions
            let result = coroutine.resume(arguments: arguments)
            engine.currentActions = nil
            arguments = []
            switch result {
            case .finished:
                engine.recycle(coroutine)
                finish(.done)
            case .failed(let error) where error.code == .timeout:
                finish(.timedOut(error.description))
            case .failed(let error):
                finish(.failed(error.description))
            case .yielded(.forced), .yielded(.script):
                if NIODeadline.now() - started < Self.slice { continue }
                // Resume after the loop has polled its sockets (a timer due now would run before the poll).
                timer = engine.worker.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(50)) {
                    self.timer = nil
                    self.step()
                }
            case .yielded(.request):
                coroutine.close()
                finish(.failed("a handler cannot wait for I/O in the agent"))
            }
            return
        }
    }

    func cancel() {
        completion = nil
        timer?.cancel()
        timer = nil
        if !isFinished {
            isFinished = true
            coroutine.close()
        }
    }

    private func finish(_ outcome: SPOAHandlerOutcome) {
        isFinished = true
        let completion = completion
        self.completion = nil
        completion?(outcome)
    }
}
