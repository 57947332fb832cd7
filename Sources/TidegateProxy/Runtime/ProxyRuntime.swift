import NIOCore
import Synchronization
import TidegateCore
import TidegateLuaAPI

/// Buffer and parser limits (HAProxy's `tune.*`).
public struct Tuning: Sendable {
    /// `tune.bufsize`.
    public var bufferSize: Int = 16384
    /// `tune.maxrewrite`: room kept for rewrites; a head must fit in `bufferSize - maxRewrite`.
    public var maxRewrite: Int = 1024
    /// `tune.http.maxhdr`.
    public var maxHeaderFields: Int = 101

    public init() {}

    public var maxHeadSize: Int { max(1024, bufferSize - maxRewrite) }
}

/// Everything built from the configuration that the data path reads: frontends, backends,
/// servers and global limits. Immutable except for atomics; shared by every event loop.
public final class ProxyRuntime: Sendable {
    public let frontends: [FrontendRuntime]
    public let backends: [BackendRuntime]
    public let serverCount: Int
    public let tuning: Tuning
    /// Global `maxconn` (0 = no limit).
    public let maxConnections: Int
    /// Connections against the global `maxconn`; at the limit every listener pauses.
    private let connections: ConnectionCounter
    private let stopping = Atomic<Bool>(false)
    private let hardStopping = Atomic<Bool>(false)

    /// The Lua engine, when the configuration loads scripts.
    public let lua: LuaEngine?
    /// Where Lua's messages go (nil without Lua).
    let luaLog: LuaLogRouter?
    /// The sections as the Lua API lists them (`core.proxies`); the server starts their `ProxyControl`.
    public let catalog: ProxyCatalog
    /// The global `node` and `description` (`show info`).
    public let node: String?
    public let processDescription: String?

    init(
        frontends: [FrontendRuntime], backends: [BackendRuntime], tuning: Tuning, maxConnections: Int,
        lua: LuaEngine? = nil, luaLog: LuaLogRouter? = nil, catalog: ProxyCatalog = ProxyCatalog(proxies: []),
        node: String? = nil, processDescription: String? = nil
    ) {
        self.node = node
        self.processDescription = processDescription
        self.lua = lua
        self.luaLog = luaLog
        self.catalog = catalog
        self.frontends = frontends
        self.backends = backends
        self.serverCount = backends.reduce(0) { $0 + $1.backend.servers.count }
        self.tuning = tuning
        self.maxConnections = maxConnections
        self.connections = ConnectionCounter(maximum: maxConnections)
    }

    /// Set on soft stop: keep-alive connections close after their current response.
    public var isStopping: Bool { stopping.load(ordering: .relaxed) }
    public func beginStopping() { stopping.store(true, ordering: .relaxed) }

    /// Set on hard stop: connections are closed as they are, nothing more is sent (as HAProxy).
    public var isHardStopping: Bool { hardStopping.load(ordering: .relaxed) }
    public func beginHardStop() {
        stopping.store(true, ordering: .relaxed)
        hardStopping.store(true, ordering: .relaxed)
    }

    /// Process-wide current connections (HAProxy's `%ac`).
    public var currentConnections: Int { connections.currentCount }
    /// Process-wide connections accepted since the start.
    public var totalConnections: Int { connections.totalCount }
    var admission: AdmissionControl { connections.admission }

    func connectionOpened() { connections.opened() }
    func connectionClosed() { connections.closed() }

    public func backend(named name: String) -> BackendRuntime? { backends.first { $0.name == name } }
}

extension ProxyRuntime: ProxyDirectory {
    public func usableServerCount(backend name: String) -> Int? {
        backend(named: name)?.backend.usableServerCount
    }

    public func isServerUp(backend name: String, server: String) -> Bool? {
        backend(named: name)?.backend.server(named: server)?.isUp
    }
}
