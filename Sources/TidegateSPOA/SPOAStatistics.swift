/// Counters of one worker (confined to its event loop), or the sum of all workers' (`merged`).
public struct SPOAStatistics: Sendable, Hashable {
    /// Counters of one message name.
    public struct Message: Sendable, Hashable {
        /// Times the message arrived in a NOTIFY.
        public var received = 0
        /// Times its handler finished without error.
        public var handled = 0
        /// Times its handler raised an error (or ran out of memory).
        public var errors = 0
        /// Times its handler was cut off by the time limit.
        public var timeouts = 0
        /// Times no handler was registered for it (the message is skipped).
        public var unhandled = 0

        public init() {}

        mutating func add(_ other: Message) {
            received += other.received
            handled += other.handled
            errors += other.errors
            timeouts += other.timeouts
            unhandled += other.unhandled
        }
    }

    /// Connections accepted.
    public var connections = 0
    /// Connections open now.
    public var activeConnections = 0
    /// HELLO exchanges that were health checks (`option spop-check`).
    public var healthChecks = 0
    /// NOTIFY frames received (reassembled ones counted once).
    public var notifyFrames = 0
    /// ACK frames written.
    public var ackFrames = 0
    /// ACKs sent without actions because a handler failed, timed out, or the actions did not fit in a frame.
    public var emptyAcksAfterError = 0
    /// Fragmented NOTIFYs that HAProxy aborted.
    public var abortedFrames = 0
    /// Connections closed because of bad input (AGENT-DISCONNECT with a status other than 0).
    public var protocolErrors = 0
    /// HAPROXY-DISCONNECT frames received.
    public var peerDisconnects = 0
    /// The most NOTIFY frames seen in flight at once on one connection: being processed, or answered in the same
    /// read but not flushed yet. Above 1 means HAProxy pipelined.
    public var maxInFlight = 0
    /// Per message name. Names without a handler are counted under their own name while there are fewer than
    /// `maxMessageNames`, then under `(other)`.
    public var messages: [String: Message] = [:]

    /// Bound on the distinct unhandled names counted separately.
    public static let maxMessageNames = 256

    public init() {}

    /// The sum of several workers' counters (maxima for `maxInFlight`).
    public static func merged(_ all: some Sequence<SPOAStatistics>) -> SPOAStatistics {
        var total = SPOAStatistics()
        for one in all {
            total.connections += one.connections
            total.activeConnections += one.activeConnections
            total.healthChecks += one.healthChecks
            total.notifyFrames += one.notifyFrames
            total.ackFrames += one.ackFrames
            total.emptyAcksAfterError += one.emptyAcksAfterError
            total.abortedFrames += one.abortedFrames
            total.protocolErrors += one.protocolErrors
            total.peerDisconnects += one.peerDisconnects
            total.maxInFlight = max(total.maxInFlight, one.maxInFlight)
            for (name, counters) in one.messages {
                total.messages[name, default: Message()].add(counters)
            }
        }
        return total
    }

    /// A text report, one `key: value` per line, then one line per message:
    /// `message <name>: received=N handled=N errors=N timeouts=N unhandled=N`.
    public var report: String {
        var lines = [
            "connections: \(connections)", "active-connections: \(activeConnections)",
            "health-checks: \(healthChecks)", "notify-frames: \(notifyFrames)", "ack-frames: \(ackFrames)",
            "empty-acks-after-error: \(emptyAcksAfterError)", "aborted-frames: \(abortedFrames)",
            "protocol-errors: \(protocolErrors)", "peer-disconnects: \(peerDisconnects)",
            "max-in-flight: \(maxInFlight)",
        ]
        for name in messages.keys.sorted() {
            let m = messages[name]!
            lines.append(
                "message \(name): received=\(m.received) handled=\(m.handled) errors=\(m.errors) "
                    + "timeouts=\(m.timeouts) unhandled=\(m.unhandled)")
        }
        return lines.joined(separator: "\n")
    }
}
