import Synchronization

/// The `proc.` variable scope: one store for the whole process, shared by every event loop
/// behind a lock (HAProxy also locks this scope).
public final class ProcessVariables: Sendable {
    private let storage = Mutex<[String: Sample]>([:])

    public init() {}

    /// The store used unless a context is given another one.
    public static let shared = ProcessVariables()

    /// The value of `proc.<name>`.
    public func value(named name: String) -> Sample? {
        storage.withLock { $0[name] }
    }

    /// Sets `proc.<name>`; nil removes it. The value is copied out of any message head.
    public func set(_ name: String, to value: Sample?) {
        let stored = value?.detached()
        storage.withLock { $0[name] = stored }
    }

    /// Removes every process variable.
    public func removeAll() {
        storage.withLock { $0.removeAll() }
    }
}
