import NIOCore
import Synchronization

/// One upstream server of a backend. Shared by every event loop: its counters are atomics, its
/// identity is immutable. Health checks and the runtime API (later issues) flip `isUp`/`isAdminDown`.
public final class Server: Sendable {
    /// Position of the server among all servers of the process (index into per-loop pools).
    public let globalIndex: Int
    /// HAProxy's `puid`: 1-based id inside its backend unless set with `id`.
    public let id: Int
    public let name: String
    public let backendName: String
    /// The resolved address connections go to.
    public let address: SocketAddress
    /// The address as written in the configuration (`host:port`).
    public let addressText: String
    public let isBackup: Bool
    /// Most concurrent streams sent to this server; 0 means no limit.
    public let maxConnections: Int
    /// The configured weight (0-256).
    public let initialWeight: Int

    private let weightStorage: Atomic<Int>
    private let adminDown: Atomic<Bool>
    private let operationalUp: Atomic<Bool>
    private let current: Atomic<Int>
    private let total: Atomic<Int>
    private let highest: Atomic<Int>

    public init(
        globalIndex: Int, id: Int, name: String, backendName: String, address: SocketAddress,
        addressText: String, weight: Int, maxConnections: Int, isBackup: Bool, disabled: Bool
    ) {
        self.globalIndex = globalIndex
        self.id = id
        self.name = name
        self.backendName = backendName
        self.address = address
        self.addressText = addressText
        self.initialWeight = weight
        self.maxConnections = maxConnections
        self.isBackup = isBackup
        self.weightStorage = Atomic(weight)
        self.adminDown = Atomic(disabled)
        self.operationalUp = Atomic(true)
        self.current = Atomic(0)
        self.total = Atomic(0)
        self.highest = Atomic(0)
    }

    /// Current effective weight.
    public var weight: Int {
        get { weightStorage.load(ordering: .relaxed) }
    }

    public func setWeight(_ weight: Int) { weightStorage.store(max(0, min(256, weight)), ordering: .relaxed) }

    /// Put in or out of maintenance (HAProxy's `disabled` / `set server state maint`).
    public func setAdminDown(_ down: Bool) { adminDown.store(down, ordering: .relaxed) }
    public var isAdminDown: Bool { adminDown.load(ordering: .relaxed) }

    /// Operational state from health checks (always up until checks exist).
    public func setUp(_ up: Bool) { operationalUp.store(up, ordering: .relaxed) }
    public var isUp: Bool { operationalUp.load(ordering: .relaxed) && !isAdminDown }

    /// Whether the balancer may pick this server at all.
    public var isUsable: Bool { isUp && weight > 0 }

    /// Streams currently assigned to the server.
    public var currentConnections: Int { current.load(ordering: .relaxed) }
    /// Streams ever assigned.
    public var totalConnections: Int { total.load(ordering: .relaxed) }
    /// Highest concurrent streams seen.
    public var maxSeenConnections: Int { highest.load(ordering: .relaxed) }

    /// Whether another stream may be assigned without exceeding `maxconn`.
    public var hasFreeSlot: Bool { maxConnections == 0 || currentConnections < maxConnections }

    /// Takes a slot if one is free; false when the server is at `maxconn`.
    public func tryAcquireSlot() -> Bool {
        if maxConnections == 0 {
            recordAcquired(current.wrappingAdd(1, ordering: .relaxed).newValue)
            return true
        }
        var value = current.load(ordering: .relaxed)
        while value < maxConnections {
            let (exchanged, original) = current.compareExchange(
                expected: value, desired: value + 1, ordering: .relaxed)
            if exchanged {
                recordAcquired(value + 1)
                return true
            }
            value = original
        }
        return false
    }

    private func recordAcquired(_ now: Int) {
        total.wrappingAdd(1, ordering: .relaxed)
        var seen = highest.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = highest.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    /// Gives back a slot taken with `tryAcquireSlot`.
    public func releaseSlot() { current.wrappingSubtract(1, ordering: .relaxed) }
}
