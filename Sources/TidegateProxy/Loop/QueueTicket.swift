import NIOCore
import TidegateCore

/// A stream that can wait in a backend queue.
protocol QueueWakeable: AnyObject {
    /// A server slot may be free: try to get a server again.
    func queueWake()
}

/// A stream's place in a backend queue. Woken from any thread; hops to the stream's loop. If the
/// stream is gone by then, the freed slot is passed on to the next waiter.
final class QueueTicket: QueuedStream, @unchecked Sendable {
    // Only dereferenced on `eventLoop`.
    private weak var session: (any QueueWakeable)?
    private let eventLoop: any EventLoop
    private let queue: ServerQueue

    init(session: any QueueWakeable, eventLoop: any EventLoop, queue: ServerQueue) {
        self.session = session
        self.eventLoop = eventLoop
        self.queue = queue
    }

    func wake() {
        eventLoop.execute { [self] in
            if let session {
                session.queueWake()
            } else {
                queue.slotReleased()
            }
        }
    }
}
