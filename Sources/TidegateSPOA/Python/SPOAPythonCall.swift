import Synchronization

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
