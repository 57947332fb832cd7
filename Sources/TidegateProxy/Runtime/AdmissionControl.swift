import Synchronization

/// Stops and restarts accepting when a `maxconn` is reached, as HAProxy does: connections beyond
/// the limit wait in the kernel's backlog instead of being accepted and closed.
///
/// Decisions are serialised and always made from the current count, so a close racing with the
/// pause cannot leave the listeners paused with nothing left to resume them.
public final class AdmissionControl: Sendable {
    private struct Handlers {
        var pause: @Sendable () -> Void
        var resume: @Sendable () -> Void
    }

    private struct State {
        var paused = false
        var handlers: Handlers?
    }

    private let state = Mutex<State>(State())
    /// A lock-free hint for the close path: whether a pause may be in force.
    private let mayBePaused = Atomic<Bool>(false)

    public init() {}

    /// Installs what pausing and resuming means (the listeners concerned).
    func install(pause: @escaping @Sendable () -> Void, resume: @escaping @Sendable () -> Void) {
        state.withLock { $0.handlers = Handlers(pause: pause, resume: resume) }
    }

    /// Whether the close path needs to call `evaluate`.
    var needsEvaluationOnClose: Bool { mayBePaused.load(ordering: .relaxed) }

    /// Pauses or resumes according to `atLimit()`, read under the lock.
    func evaluate(atLimit: () -> Bool) {
        state.withLock { state in
            let pause = atLimit()
            guard pause != state.paused else { return }
            state.paused = pause
            mayBePaused.store(pause, ordering: .relaxed)
            if pause { state.handlers?.pause() } else { state.handlers?.resume() }
        }
    }
}
