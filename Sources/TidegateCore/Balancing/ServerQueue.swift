import Synchronization

/// A stream waiting for a server slot. `wake()` may be called from any thread; the implementer
/// hops to its own event loop and tries to get a server again.
public protocol QueuedStream: AnyObject, Sendable {
    func wake()
}

/// The backend's queue of streams waiting because every usable server is at `maxconn`
/// (HAProxy's backend queue, `timeout queue`). Only touched when servers are full, so a lock is
/// acceptable; the fast path reads one atomic.
public final class ServerQueue: Sendable {
    private let waiters = Mutex<[any QueuedStream]>([])
    private let length = Atomic<Int>(0)

    public init() {}

    /// Number of queued streams (HAProxy's `%bq`).
    public var count: Int { length.load(ordering: .relaxed) }

    public func enqueue(_ stream: any QueuedStream) {
        waiters.withLock { $0.append(stream) }
        length.wrappingAdd(1, ordering: .relaxed)
    }

    /// Puts a stream back at the head (it was woken but lost the race for the slot).
    public func requeueFirst(_ stream: any QueuedStream) {
        waiters.withLock { $0.insert(stream, at: 0) }
        length.wrappingAdd(1, ordering: .relaxed)
    }

    /// Removes a stream that gave up (queue timeout, client gone). Returns whether it was queued.
    @discardableResult
    public func remove(_ stream: any QueuedStream) -> Bool {
        let removed = waiters.withLock { list -> Bool in
            guard let i = list.firstIndex(where: { $0 === stream }) else { return false }
            list.remove(at: i)
            return true
        }
        if removed { length.wrappingSubtract(1, ordering: .relaxed) }
        return removed
    }

    /// Called when a server slot was released: wakes the oldest waiter, if any.
    public func slotReleased() {
        guard count > 0 else { return }
        let next = waiters.withLock { list -> (any QueuedStream)? in
            list.isEmpty ? nil : list.removeFirst()
        }
        if let next {
            length.wrappingSubtract(1, ordering: .relaxed)
            next.wake()
        }
    }
}
