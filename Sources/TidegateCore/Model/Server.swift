import NIOCore
import Synchronization

/// One upstream server of a backend. Shared by every event loop: its counters and run-time state are atomics, its
/// identity is immutable. The Lua API (`Server` class) changes its weight, `maxconn`, state (maintenance,
/// drain, forced operational state) and address; health checks (a later issue) will flip its operational state.
public final class Server: Sendable {
    /// The operational state (HAProxy's `srv->cur_state`): what health checks decide, or what `check_force_*`
    /// forces from Lua.
    public enum OperationalState: UInt8, Sendable {
        /// Down: no traffic (HAProxy's STOPPED).
        case stopped = 0
        /// Up and taking traffic (RUNNING).
        case running = 1
        /// Up but taking no new load-balanced traffic (STOPPING, shown as NOLB).
        case stopping = 2
    }

    /// Position of the server among all servers of the process (index into per-loop pools).
    public let globalIndex: Int
    /// HAProxy's `puid`: 1-based id inside its backend unless set with `id`.
    public let id: Int
    /// Whether `id` was set in the configuration (HAProxy's `srv_f_forced_id`).
    public let hasForcedID: Bool
    public let name: String
    public let backendName: String
    /// The address new connections go to: the resolved configured one until `setAddress` changes it. One atomic
    /// load, no lock (read once per connection attempt).
    public var address: SocketAddress { self.currentAddress.socketAddress }
    /// The current address as a shared object: a server connection keeps the one it was opened to, and is not
    /// reused once the server moved (`ServerAddress` identity changes with the address).
    public var currentAddress: ServerAddress { self.addressStorage.load(ordering: .acquiring).takeUnretainedValue() }
    /// The address as written in the configuration (`host:port`).
    public let addressText: String
    public let isBackup: Bool
    /// The configured weight (0-256), HAProxy's `iweight`.
    public let initialWeight: Int

    /// The current address, unretained: every `ServerAddress` the server ever had stays in `knownAddresses` (one per
    /// distinct address), so a reader never holds a freed one.
    private let addressStorage: Atomic<Unmanaged<ServerAddress>>
    /// Writers only (`setAddress`).
    private let knownAddresses: Mutex<[ServerAddress]>
    private let weightStorage: Atomic<Int>
    private let maxConnectionsStorage: Atomic<Int>
    /// The operational state (low bits) and the administrative flags, in one word: `isUsable` reads both at once.
    private let status: Atomic<UInt8>
    private let current: Atomic<Int>
    private let total: Atomic<Int>
    private let highest: Atomic<Int>

    private static let stateMask: UInt8 = 0b11
    private static let maintenanceFlag: UInt8 = 1 << 2
    private static let drainFlag: UInt8 = 1 << 3

    public init(
        globalIndex: Int, id: Int, name: String, backendName: String, address: SocketAddress,
        addressText: String, weight: Int, maxConnections: Int, isBackup: Bool, disabled: Bool,
        hasForcedID: Bool = false
    ) {
        self.globalIndex = globalIndex
        self.id = id
        self.hasForcedID = hasForcedID
        self.name = name
        self.backendName = backendName
        let initial = ServerAddress(address)
        self.addressStorage = Atomic(Unmanaged.passUnretained(initial))
        self.knownAddresses = Mutex([initial])
        self.addressText = addressText
        self.initialWeight = weight
        self.isBackup = isBackup
        self.weightStorage = Atomic(weight)
        self.maxConnectionsStorage = Atomic(max(0, maxConnections))
        self.status = Atomic(OperationalState.running.rawValue | (disabled ? Self.maintenanceFlag : 0))
        self.current = Atomic(0)
        self.total = Atomic(0)
        self.highest = Atomic(0)
    }

    /// Sends new connections to `address` (HAProxy's `srv_update_addr_port`, `Server:set_addr()`); connections in
    /// progress go on. Takes effect with the next connection attempt on every event loop. Returns false when the
    /// address is already the current one.
    @discardableResult
    public func setAddress(_ address: SocketAddress) -> Bool {
        self.modifyAddress { current in (current == address ? nil : address, current != address) }
    }

    /// Runs `body` with the current address under the writers' lock (concurrent updates do not interleave); the
    /// address it returns, if any, becomes the current one.
    public func modifyAddress<Result>(_ body: (SocketAddress) -> (SocketAddress?, Result)) -> Result {
        self.knownAddresses.withLock { known in
            let current = self.addressStorage.load(ordering: .acquiring).takeUnretainedValue()
            let (replacement, result) = body(current.socketAddress)
            guard let replacement, replacement != current.socketAddress else { return result }
            let next: ServerAddress
            if let seen = known.first(where: { $0.socketAddress == replacement }) {
                next = seen
            } else {
                next = ServerAddress(replacement)
                known.append(next)
            }
            self.addressStorage.store(Unmanaged.passUnretained(next), ordering: .releasing)
            return result
        }
    }

    /// Current weight (HAProxy's user weight, `uweight`).
    public var weight: Int {
        get { weightStorage.load(ordering: .relaxed) }
    }

    public func setWeight(_ weight: Int) { weightStorage.store(max(0, min(256, weight)), ordering: .relaxed) }

    /// Most concurrent streams sent to this server; 0 means no limit. Changed at run time with
    /// `setMaxConnections`.
    public var maxConnections: Int { maxConnectionsStorage.load(ordering: .relaxed) }

    public func setMaxConnections(_ value: Int) { maxConnectionsStorage.store(max(0, value), ordering: .relaxed) }

    /// Put in or out of maintenance (HAProxy's `disabled`, `set_maint()`/`set_ready()`).
    public func setAdminDown(_ down: Bool) { updateStatus(Self.maintenanceFlag, set: down) }
    public var isAdminDown: Bool { status.load(ordering: .relaxed) & Self.maintenanceFlag != 0 }

    /// Put in or out of drain (HAProxy's `set_drain()`): no new load-balanced traffic, streams in progress go on.
    public func setDrain(_ drain: Bool) { updateStatus(Self.drainFlag, set: drain) }
    /// Whether the drain flag is set (`setDrain`).
    public var hasDrainFlag: Bool { status.load(ordering: .relaxed) & Self.drainFlag != 0 }
    /// HAProxy's `server_is_draining`: drain flag set or weight 0.
    public var isDraining: Bool { hasDrainFlag || weight == 0 }

    /// The operational state (always `running` until health checks exist, unless forced).
    public var operationalState: OperationalState {
        OperationalState(rawValue: status.load(ordering: .relaxed) & Self.stateMask) ?? .stopped
    }

    public func setOperationalState(_ state: OperationalState) {
        var value = status.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = status.compareExchange(
                expected: value, desired: (value & ~Self.stateMask) | state.rawValue, ordering: .relaxed)
            if exchanged { return }
            value = original
        }
    }

    /// Operational state from health checks: up is `running`, down `stopped`.
    public func setUp(_ up: Bool) { setOperationalState(up ? .running : .stopped) }
    /// Running and not in maintenance.
    public var isUp: Bool {
        status.load(ordering: .relaxed) & (Self.stateMask | Self.maintenanceFlag) == OperationalState.running.rawValue
    }

    /// Whether the balancer may pick this server at all (HAProxy's `srv_currently_usable`): running, neither in
    /// maintenance nor draining, weight above 0.
    public var isUsable: Bool { status.load(ordering: .relaxed) == OperationalState.running.rawValue && weight > 0 }

    private func updateStatus(_ flag: UInt8, set: Bool) {
        if set {
            status.bitwiseOr(flag, ordering: .relaxed)
        } else {
            status.bitwiseAnd(~flag, ordering: .relaxed)
        }
    }

    /// Streams currently assigned to the server.
    public var currentConnections: Int { current.load(ordering: .relaxed) }
    /// Streams ever assigned.
    public var totalConnections: Int { total.load(ordering: .relaxed) }
    /// Highest concurrent streams seen.
    public var maxSeenConnections: Int { highest.load(ordering: .relaxed) }

    /// Whether another stream may be assigned without exceeding `maxconn`.
    public var hasFreeSlot: Bool {
        let limit = maxConnections
        return limit == 0 || currentConnections < limit
    }

    /// Takes a slot if one is free; false when the server is at `maxconn`.
    public func tryAcquireSlot() -> Bool {
        let limit = maxConnections
        if limit == 0 {
            recordAcquired(current.wrappingAdd(1, ordering: .relaxed).newValue)
            return true
        }
        var value = current.load(ordering: .relaxed)
        while value < limit {
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

/// One address a server had: immutable, compared by identity (a connection opened to it may be reused while it
/// is still the server's `currentAddress`).
public final class ServerAddress: Sendable {
    public let socketAddress: SocketAddress

    init(_ socketAddress: SocketAddress) {
        self.socketAddress = socketAddress
    }
}
