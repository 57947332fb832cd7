import NIOCore
import TidegateCore
import TidegateLua

/// The tables `get_stats()` returns: HAProxy's `show stat` fields by name, limited to what Tidegate counts.
/// Frontend, backend, server and listener lines share the identity fields (`pxname`, `svname`, `mode`, `pid`,
/// `iid`, `sid`, `type`, `status`); the counters are listed in `docs/lua-api/proxy.md`. A field HAProxy would
/// leave empty (no `maxconn`...) is absent, as HAProxy pushes nil for it.
enum LuaProxyStats {
    /// HAProxy's `type` field.
    private enum LineType: Int64 {
        case frontend = 0, backend = 1, server = 2, listener = 3
    }

    /// `Proxy:get_stats()`: the backend line for a backend or listen section (as HAProxy), else the frontend line.
    static func proxy(_ proxy: LuaProxy) -> LuaTable {
        let descriptor = proxy.descriptor
        guard let backend = descriptor.backend else {
            return frontend(descriptor, control: proxy.catalog.control)
        }
        let servers = backend.servers
        let active = backend.usableActiveCount
        let backups = backend.usableBackupCount
        // The weight of the servers that take traffic: the active ones, else the backups.
        let usedWeight = servers.lazy.filter { $0.isUsable && $0.isBackup == (active == 0) }.reduce(0) {
            $0 + $1.weight
        }
        let current = servers.reduce(0) { $0 + $1.currentConnections }
        let total = servers.reduce(0) { $0 + $1.totalConnections }
        var table = identity(descriptor, server: "BACKEND", sid: 0, type: .backend)
        table["status"] = LuaValue(active + backups > 0 || servers.isEmpty ? "UP" : "DOWN")
        table["qcur"] = .integer(Int64(backend.queue.count))
        table["scur"] = .integer(Int64(current + backend.queue.count))
        table["stot"] = .integer(Int64(total))
        table["lbtot"] = .integer(Int64(total))
        table["weight"] = .integer(Int64(usedWeight))
        table["uweight"] = .integer(Int64(usedWeight))
        table["act"] = .integer(Int64(active))
        table["bck"] = .integer(Int64(backups))
        return LuaTable(hash: table)
    }

    /// The frontend line of a frontend (or listen section).
    private static func frontend(_ descriptor: ProxyDescriptor, control: (any ProxyControl)?) -> LuaTable {
        let (current, total) = control?.connections(of: descriptor) ?? (0, 0)
        var table = identity(descriptor, server: "FRONTEND", sid: 0, type: .frontend)
        table["status"] = LuaValue(status(of: descriptor, current: current))
        table["scur"] = .integer(Int64(current))
        table["stot"] = .integer(Int64(total))
        if descriptor.maxConnections > 0 { table["slim"] = .integer(Int64(descriptor.maxConnections)) }
        return LuaTable(hash: table)
    }

    /// `Server:get_stats()`.
    static func server(_ object: LuaServer) -> LuaTable {
        let server = object.server
        var table = identity(object.proxy, server: server.name, sid: server.id, type: .server)
        table["status"] = LuaValue(status(of: server))
        table["qcur"] = 0
        table["scur"] = .integer(Int64(server.currentConnections))
        table["smax"] = .integer(Int64(server.maxSeenConnections))
        if server.maxConnections > 0 { table["slim"] = .integer(Int64(server.maxConnections)) }
        table["stot"] = .integer(Int64(server.totalConnections))
        table["lbtot"] = .integer(Int64(server.totalConnections))
        table["weight"] = .integer(Int64(server.isUsable ? server.weight : 0))
        table["uweight"] = .integer(Int64(server.weight))
        table["act"] = server.isBackup ? 0 : 1
        table["bck"] = server.isBackup ? 1 : 0
        table["srid"] = 0
        table["addr"] = LuaValue(statsAddress(server.address))
        return LuaTable(hash: table)
    }

    /// `Listener:get_stats()`.
    static func listener(_ object: LuaListener) -> LuaTable {
        let listener = object.listener
        var table = identity(object.frontend, server: listener.name, sid: listener.id, type: .listener)
        let current = object.catalog.control?.connections(of: object.frontend).current ?? 0
        table["status"] = LuaValue(status(of: object.frontend, current: current))
        table["scur"] = .integer(Int64(listener.currentConnections))
        table["stot"] = .integer(Int64(listener.totalConnections))
        table["addr"] = LuaValue(listener.addressText)
        return LuaTable(hash: table)
    }

    private static func identity(_ proxy: ProxyDescriptor, server: String, sid: Int, type: LineType)
        -> [LuaValue: LuaValue]
    {
        [
            "pxname": LuaValue(proxy.name), "svname": LuaValue(server), "mode": LuaValue(proxy.mode.rawValue),
            "pid": 1, "iid": .integer(Int64(proxy.uuid)), "sid": .integer(Int64(sid)), "type": .integer(type.rawValue),
        ]
    }

    /// A frontend's or listener's status: "OPEN", "FULL" at `maxconn`, "PAUSED", "STOP".
    private static func status(of frontend: ProxyDescriptor, current: Int) -> String {
        switch frontend.runState {
        case .stopped: return "STOP"
        case .paused: return "PAUSED"
        case .ready:
            return frontend.maxConnections > 0 && current >= frontend.maxConnections ? "FULL" : "OPEN"
        }
    }

    /// HAProxy's server status without health checks: "MAINT", "DRAIN", "no check" (up), "NOLB", "DOWN".
    private static func status(of server: Server) -> String {
        if server.isAdminDown { return "MAINT" }
        switch server.operationalState {
        case .running: return server.hasDrainFlag ? "DRAIN" : "no check"
        case .stopping: return "NOLB"
        case .stopped: return "DOWN"
        }
    }

    /// The `addr` field: "ip:port", "[ipv6]:port", or "unix".
    private static func statsAddress(_ address: SocketAddress) -> String {
        switch address {
        case .v4: return "\(address.ipAddress ?? ""):\(address.port ?? 0)"
        case .v6: return "[\(address.ipAddress ?? "")]:\(address.port ?? 0)"
        case .unixDomainSocket: return "unix"
        }
    }
}
