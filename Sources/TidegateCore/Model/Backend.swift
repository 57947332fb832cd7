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
    }

    /// Usable servers (HAProxy's `nbsrv`): active ones, or backups when no active one is usable.
    public var usableServerCount: Int {
        let active = servers.lazy.filter { !$0.isBackup && $0.isUsable }.count
        if active > 0 { return active }
        return servers.lazy.filter { $0.isBackup && $0.isUsable }.count
    }

    public func server(named name: String) -> Server? { servers.first { $0.name == name } }
}
