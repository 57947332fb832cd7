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

/// Per-event-loop balancing state of one backend: round-robin positions and smooth weights.
/// Each loop balances its own streams without locks; over several loops the spread stays even.
public struct BalancerState: Sendable {
    private var currentWeights: [Int]
    private var cursor = 0

    public init(serverCount: Int) {
        currentWeights = Array(repeating: 0, count: serverCount)
    }

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
        if currentWeights.count != servers.count { currentWeights = Array(repeating: 0, count: servers.count) }

        // Candidates: usable active servers; else usable backups (first one unless allbackups).
        var candidates = ServerIndexSet()
        for (i, server) in servers.enumerated() where !server.isBackup && server.isUsable {
            candidates.insert(i)
        }
        if candidates.isEmpty {
            for (i, server) in servers.enumerated() where server.isBackup && server.isUsable {
                candidates.insert(i)
                if !backend.allBackups { break }
            }
        }
        if candidates.isEmpty { return .unavailable }
        if let avoiding, candidates.count > 1, let i = servers.firstIndex(where: { $0 === avoiding }) {
            candidates.remove(i)
        }

        switch backend.algorithm {
        case .roundRobin, .staticRoundRobin:
            return smoothWeighted(servers, candidates)
        case .leastConnections:
            return leastConnections(servers, candidates)
        case .first:
            for i in candidates.indexes where servers[i].tryAcquireSlot() { return .server(servers[i]) }
            return .allFull
        case .random(let draws):
            return random(servers, candidates, draws: max(1, draws))
        case .source, .uri, .urlParameter, .header:
            guard let key = hashInput.bytes else { return smoothWeighted(servers, candidates) }
            return hashed(backend, candidates, hash: HashFunction.hash(key, using: backend.hashType))
        }
    }

    private mutating func smoothWeighted(_ servers: [Server], _ candidates: ServerIndexSet) -> ServerSelection {
        var total = 0
        var best = -1
        var anyFull = false
        for i in candidates.indexes {
            let server = servers[i]
            guard server.hasFreeSlot else {
                anyFull = true
                continue
            }
            let weight = server.weight
            currentWeights[i] += weight
            total += weight
            if best < 0 || currentWeights[i] > currentWeights[best] { best = i }
        }
        guard best >= 0 else { return anyFull ? .allFull : .unavailable }
        currentWeights[best] -= total
        if servers[best].tryAcquireSlot() { return .server(servers[best]) }
        return .allFull
    }

    private mutating func leastConnections(_ servers: [Server], _ candidates: ServerIndexSet) -> ServerSelection {
        // Lowest (current + 1) / weight; ties broken by rotating the start position.
        let indexes = candidates.indexes
        var best = -1
        var bestScore = Int.max
        let start = cursor % indexes.count
        for step in 0..<indexes.count {
            let i = indexes[(start + step) % indexes.count]
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

    private func random(_ servers: [Server], _ candidates: ServerIndexSet, draws: Int) -> ServerSelection {
        let indexes = candidates.indexes.filter { servers[$0].hasFreeSlot }
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

    private func hashed(_ backend: Backend, _ candidates: ServerIndexSet, hash: UInt32) -> ServerSelection {
        let servers = backend.servers
        let chosen: Int?
        if let ring = backend.ring {
            chosen = ring.lookup(hash) { candidates.contains($0) }
        } else {
            // map-based: hash modulo the total weight of the candidates.
            let indexes = candidates.indexes
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

/// A small set of server positions, kept in order (backends rarely have more than a few dozen servers).
struct ServerIndexSet {
    private(set) var indexes: [Int] = []
    var isEmpty: Bool { indexes.isEmpty }
    var count: Int { indexes.count }
    mutating func insert(_ i: Int) { indexes.append(i) }
    mutating func remove(_ i: Int) { indexes.removeAll { $0 == i } }
    func contains(_ i: Int) -> Bool { indexes.contains(i) }
}
