import TidegateConfig
import Synchronization

/// A backend: its servers and how it balances between them. Shared by every event loop; the
/// per-loop balancing state lives in `BalancerState`.
public final class Backend: Sendable {
    /// Position among all backends of the process (index into per-loop state arrays).
    public let index: Int
    public let name: String
    public let servers: [Server]
    public let algorithm: BalanceAlgorithm
    public let hashType: HashType
    /// `option allbackups`: spread over every backup server instead of the first one only.
    public let allBackups: Bool
    let ring: ConsistentHashRing?
    /// Streams waiting for a free server slot (`timeout queue`).
    public let queue: ServerQueue
    /// Server positions in smooth weighted round-robin order, one entry per unit of weight; every
    /// event loop walks it through one shared counter, so the spread is HAProxy's global one.
    let roundRobinOrder: [Int]
    private let roundRobinPosition = Atomic<UInt>(0)

    public init(
        index: Int, name: String, servers: [Server], algorithm: BalanceAlgorithm, hashType: HashType,
        allBackups: Bool
    ) {
        self.index = index
        self.name = name
        self.servers = servers
        self.algorithm = algorithm
        self.hashType = hashType
        self.allBackups = allBackups
        if algorithm.isHashBased && hashType.method == .consistent {
            ring = ConsistentHashRing(
                servers: servers.enumerated().map { ($0.offset, $0.element.id, $0.element.initialWeight) })
        } else {
            ring = nil
        }
        queue = ServerQueue()
        roundRobinOrder = Self.smoothWeightedOrder(weights: servers.map(\.initialWeight))
    }

    /// Takes `count` positions in the round-robin order; returns the first.
    func takeRoundRobinPositions(_ count: UInt = 1) -> UInt {
        roundRobinPosition.wrappingAdd(count, ordering: .relaxed).oldValue
    }

    /// The smooth weighted round-robin sequence for `weights` (e.g. 5,1,1 → a a b a c a a).
    static func smoothWeightedOrder(weights: [Int]) -> [Int] {
        let total = weights.reduce(0) { $0 + max($1, 0) }
        guard total > 0 else { return [] }
        var current = Array(repeating: 0, count: weights.count)
        var order: [Int] = []
        order.reserveCapacity(total)
        for _ in 0..<total {
            var best = -1
            for (i, weight) in weights.enumerated() where weight > 0 {
                current[i] += weight
                if best < 0 || current[i] > current[best] { best = i }
            }
            current[best] -= total
            order.append(best)
        }
        return order
    }

    /// Usable servers (HAProxy's `nbsrv`): active ones, or backups when no active one is usable.
    public var usableServerCount: Int {
        let active = servers.lazy.filter { !$0.isBackup && $0.isUsable }.count
        if active > 0 { return active }
        return servers.lazy.filter { $0.isBackup && $0.isUsable }.count
    }

    public func server(named name: String) -> Server? { servers.first { $0.name == name } }

    /// Usable active servers (HAProxy's `srv_act`).
    public var usableActiveCount: Int { servers.lazy.filter { !$0.isBackup && $0.isUsable }.count }
    /// Usable backup servers (HAProxy's `srv_bck`).
    public var usableBackupCount: Int { servers.lazy.filter { $0.isBackup && $0.isUsable }.count }

    /// Whether server weights may change to any value at run time (HAProxy's `BE_LB_PROP_DYN`): static
    /// algorithms (`static-rr`, map-based hashing) only take 0 or the configured weight.
    public var hasDynamicWeights: Bool {
        switch algorithm {
        case .staticRoundRobin: false
        case .source, .uri, .urlParameter, .header: hashType.method == .consistent
        case .roundRobin, .leastConnections, .first, .random: true
        }
    }

    /// Wakes as many queued streams as the usable servers have free slots (all of them when one has no
    /// `maxconn`): call after a server became usable again or got a higher `maxconn`.
    public func serverCapacityChanged() {
        var free = 0
        for server in servers where server.isUsable {
            let limit = server.maxConnections
            if limit == 0 {
                free = .max
                break
            }
            free += max(0, limit - server.currentConnections)
        }
        for _ in 0..<min(free, queue.count) { queue.slotReleased() }
    }
}
