import NIOCore
import TidegateLua

/// One wait of a Lua coroutine on I/O, ended exactly once: by `finish(_:)`, by its timeout, or (with
/// `abandonedValues`) when it is dropped unfinished, so that its promise is always fulfilled. Its `future` is what
/// the binding yields with `LuaAwait`. Confined to its event loop.
final class LuaIOWait {
    let promise: EventLoopPromise<[LuaValue]>
    private var timer: Scheduled<Void>?
    private(set) var isFinished = false
    private let abandonedValues: [LuaValue]

    var future: EventLoopFuture<[LuaValue]> { self.promise.futureResult }

    /// `timeoutValues` complete the wait after `timeout` (nil: no timeout).
    init(
        on eventLoop: EventLoop, timeout: TimeAmount?, timeoutValues: [LuaValue],
        abandonedValues: [LuaValue] = [.nil, "closed"]
    ) {
        let promise = eventLoop.makePromise(of: [LuaValue].self)
        self.promise = promise
        self.abandonedValues = abandonedValues
        if let timeout {
            self.timer = eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
                self?.isFinished = true
                self?.timer = nil
                promise.succeed(timeoutValues)
            }
        }
    }

    deinit {
        if !self.isFinished {
            self.timer?.cancel()
            self.promise.succeed(self.abandonedValues)
        }
    }

    /// Ends the wait with `values` (ignored when already ended).
    func finish(_ values: [LuaValue]) {
        guard !self.isFinished else { return }
        self.isFinished = true
        self.timer?.cancel()
        self.timer = nil
        self.promise.succeed(values)
    }
}
