import Synchronization

/// Stops and restarts accepting when a `maxconn` is reached, as HAProxy does: connections beyond
/// the limit wait in the kernel's backlog instead of being accepted and closed.
public final class AdmissionControl: Sendable {
    private struct Handlers {
        var pause: @Sendable () -> Void
        var resume: @Sendable () -> Void
    }

    private let paused = Atomic<Bool>(false)
    private let handlers = Mutex<Handlers?>(nil)

    public init() {}

    /// Installs what pausing and resuming means (the listeners concerned).
    func install(pause: @escaping @Sendable () -> Void, resume: @escaping @Sendable () -> Void) {
        handlers.withLock { $0 = Handlers(pause: pause, resume: resume) }
    }

    /// The limit was reached: stop accepting.
    func limitReached() {
        guard !paused.exchange(true, ordering: .acquiringAndReleasing) else { return }
        handlers.withLock { $0 }?.pause()
    }

    /// A connection ended below the limit: accept again if paused.
    func belowLimit() {
        guard paused.load(ordering: .relaxed), paused.exchange(false, ordering: .acquiringAndReleasing) else { return }
        handlers.withLock { $0 }?.resume()
    }
}
