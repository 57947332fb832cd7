import TidegateConfig
/// The outcome of choosing a server.
public enum ServerSelection: Sendable {
    /// A server was chosen and one of its slots taken: call `releaseSlot()` when the stream leaves it.
    case server(Server)
    /// Usable servers exist but all are at `maxconn`: queue the stream.
    case allFull
    /// No usable server (HAProxy answers 503).
    case unavailable
}

/// Per-event-loop balancing state of one backend (leastconn's tie-break rotation). Round robin
/// uses the backend's shared order instead, so its spread is global as in HAProxy.
public struct BalancerState: Sendable {
    /// Rotates leastconn's tie-breaking start position.
    private var cursor = 0
    /// The server weights `roundRobinOrder` was computed for: `roundrobin` follows weight changes made at run
    /// time by recomputing its order on each loop (all loops compute the same one).
    private var roundRobinWeights: [Int] = []
    private var roundRobinOrder: [Int] = []

    public init(serverCount: Int) {}

    /// What the hash-based algorithms hash for one request (`nil` falls back to round robin, as HAProxy does).
    public struct HashInput {
        public var bytes: [UInt8]?
        public init(_ bytes: [UInt8]?) { self.bytes = bytes }
    }

    /// Chooses a server of `backend` and takes one of its slots.
    /// - Parameters:
    ///   - hashInput: the request property for hash algorithms.
    ///   - avoiding: a server to skip if any other is usable (`option redispatch` on retry).
    public mutating func select(
        in backend: Backend, hashInput: HashInput = HashInput(nil), avoiding: Server? = nil
    ) -> ServerSelection {
        let servers = backend.servers

        // Candidates: usable active servers; else usable backups (the first one unless allbackups).
        // Computed without allocating: a filter over the server list.
        var filter = CandidateFilter(mode: .active, avoid: -1)
        var count = 0
        for server in servers where !server.isBackup && server.isUsable { count += 1 }
        if count == 0 {
            if backend.allBackups {
                filter.mode = .allBackups
                for server in servers where server.isBackup && server.isUsable { count += 1 }
            } else if let first = servers.firstIndex(where: { $0.isBackup && $0.isUsable }) {
                filter.mode = .single(first)
                count = 1
            }
        }
        if count == 0 { return .unavailable }
        if let avoiding, count > 1, let i = servers.firstIndex(where: { $0 === avoiding }), filter.accepts(servers, i) {
            filter.avoid = i
        }

        switch backend.algorithm {
        case .roundRobin, .staticRoundRobin:
            return roundRobin(backend, filter)
        case .leastConnections:
            return leastConnections(servers, filter)
        case .first:
            for i in servers.indices where filter.accepts(servers, i) && servers[i].tryAcquireSlot() {
                return .server(servers[i])
            }
            return .allFull
        case .random(let draws):
            return random(servers, filter, draws: max(1, draws))
        case .source, .uri, .urlParameter, .header:
            guard let key = hashInput.bytes else { return roundRobin(backend, filter) }
            return hashed(backend, filter, hash: HashFunction.hash(key, using: backend.hashType))
        }
    }

    /// Round robin over the backend's shared weighted order, skipping servers that cannot take the
    /// stream now; the shared position moves past what was skipped, so the others keep their share.
    private mutating func roundRobin(_ backend: Backend, _ filter: CandidateFilter) -> ServerSelection {
        let servers = backend.servers
        let order = backend.algorithm == .roundRobin ? currentRoundRobinOrder(backend) : backend.roundRobinOrder
        guard !order.isEmpty else { return .unavailable }
        let start = backend.takeRoundRobinPositions()
        let count = UInt(order.count)
        var sawCandidate = false
        for step in 0..<count {
            let i = order[Int((start &+ step) % count)]
            guard filter.accepts(servers, i) else { continue }
            sawCandidate = true
            if servers[i].tryAcquireSlot() {
                if step > 0 { _ = backend.takeRoundRobinPositions(step) }
                return .server(servers[i])
            }
        }
        return sawCandidate ? .allFull : .unavailable
    }

    /// The weighted order for the servers' current weights: the backend's (configured weights) until a weight
    /// changes, then recomputed here. `static-rr` keeps the configured order (its weights can only become 0).
    private mutating func currentRoundRobinOrder(_ backend: Backend) -> [Int] {
        let servers = backend.servers
        var changed = roundRobinWeights.count != servers.count
        if !changed {
            for i in servers.indices where servers[i].weight != roundRobinWeights[i] {
                changed = true
                break
            }
        }
        if changed {
            roundRobinWeights = servers.map(\.weight)
            roundRobinOrder =
                roundRobinWeights == servers.map(\.initialWeight)
                ? backend.roundRobinOrder : Backend.smoothWeightedOrder(weights: roundRobinWeights)
        }
        return roundRobinOrder
    }

    private mutating func leastConnections(_ servers: [Server], _ filter: CandidateFilter) -> ServerSelection {
        // Lowest (current + 1) / weight; ties broken by rotating the start position.
        var best = -1
        var bestScore = Int.max
        let start = cursor % servers.count
        for step in 0..<servers.count {
            let i = (start + step) % servers.count
            guard filter.accepts(servers, i) else { continue }
            let server = servers[i]
            guard server.hasFreeSlot else { continue }
            let score = (server.currentConnections + 1) * 256 / max(server.weight, 1)
            if score < bestScore {
                bestScore = score
                best = i
            }
        }
        cursor &+= 1
        guard best >= 0 else { return .allFull }
        return servers[best].tryAcquireSlot() ? .server(servers[best]) : .allFull
    }

    private func random(_ servers: [Server], _ filter: CandidateFilter, draws: Int) -> ServerSelection {
        let indexes = servers.indices.filter { filter.accepts(servers, $0) && servers[$0].hasFreeSlot }
        guard !indexes.isEmpty else { return .allFull }
        let totalWeight = indexes.reduce(0) { $0 + servers[$1].weight }
        var best = -1
        for _ in 0..<draws {
            var pick = Int.random(in: 0..<max(totalWeight, 1))
            var chosen = indexes[0]
            for i in indexes {
                pick -= servers[i].weight
                if pick < 0 {
                    chosen = i
                    break
                }
            }
            if best < 0 || servers[chosen].currentConnections < servers[best].currentConnections { best = chosen }
        }
        return servers[best].tryAcquireSlot() ? .server(servers[best]) : .allFull
    }

    private func hashed(_ backend: Backend, _ filter: CandidateFilter, hash: UInt32) -> ServerSelection {
        let servers = backend.servers
        let chosen: Int?
        if let ring = backend.ring {
            chosen = ring.lookup(hash) { filter.accepts(servers, $0) }
        } else {
            // map-based: hash modulo the total weight of the candidates.
            let indexes = servers.indices.filter { filter.accepts(servers, $0) }
            let totalWeight = indexes.reduce(0) { $0 + servers[$1].weight }
            guard totalWeight > 0 else { return .unavailable }
            var slot = Int(hash % UInt32(totalWeight))
            var found: Int?
            for i in indexes {
                slot -= servers[i].weight
                if slot < 0 {
                    found = i
                    break
                }
            }
            chosen = found
        }
        guard let chosen else { return .unavailable }
        return servers[chosen].tryAcquireSlot() ? .server(servers[chosen]) : .allFull
    }
}

/// Which servers of a backend may be chosen right now.
struct CandidateFilter {
    enum Mode {
        /// Usable active servers.
        case active
        /// Only this backup server (the first usable one).
        case single(Int)
        /// Every usable backup server (`option allbackups`).
        case allBackups
    }

    var mode: Mode
    /// A server to skip (redispatch), or -1.
    var avoid: Int

    @inline(__always)
    func accepts(_ servers: [Server], _ i: Int) -> Bool {
        guard i != avoid else { return false }
        switch mode {
        case .active: return !servers[i].isBackup && servers[i].isUsable
        case .single(let only): return i == only
        case .allBackups: return servers[i].isBackup && servers[i].isUsable
        }
    }
}
