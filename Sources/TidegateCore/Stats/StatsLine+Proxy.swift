import NIOCore

/// The statistics lines of the running configuration's sections, servers and listeners.
extension StatsLine {
    /// What Lua's `Proxy:get_stats()` returns: the backend line for a backend or listen section (as HAProxy), else
    /// the frontend line.
    public static func proxy(_ descriptor: ProxyDescriptor, control: (any ProxyControl)?) -> StatsLine {
        if let backend = backend(descriptor) { return backend }
        return frontend(descriptor, control: control)
    }

    /// The `FRONTEND` line of a frontend or listen section: `scur`, `stot` (client connections), `slim` (`maxconn`,
    /// when set); `status` `OPEN`, `FULL` (at `maxconn`), `PAUSED`, `STOP`.
    public static func frontend(_ descriptor: ProxyDescriptor, control: (any ProxyControl)?) -> StatsLine {
        let (current, total) = control?.connections(of: descriptor) ?? (0, 0)
        var line = StatsLine(kind: .frontend, proxy: descriptor, name: "FRONTEND", id: 0)
        line["status"] = .string(status(of: descriptor, current: current))
        line["scur"] = .integer(current)
        line["stot"] = .integer(total)
        if descriptor.maxConnections > 0 { line["slim"] = .integer(descriptor.maxConnections) }
        return line
    }

    /// The `BACKEND` line of a backend or listen section (nil for a frontend): `qcur` (queued streams), `scur`
    /// (streams on the servers plus queued), `stot` and `lbtot`, `weight` and `uweight` (total weight of the servers
    /// taking traffic), `act`, `bck` (usable servers); `status` `UP` or `DOWN`.
    public static func backend(_ descriptor: ProxyDescriptor) -> StatsLine? {
        guard let backend = descriptor.backend else { return nil }
        let servers = backend.servers
        let active = backend.usableActiveCount
        let backups = backend.usableBackupCount
        // The weight of the servers that take traffic: the active ones, else the backups.
        let usedWeight = servers.lazy.filter { $0.isUsable && $0.isBackup == (active == 0) }.reduce(0) {
            $0 + $1.weight
        }
        let current = servers.reduce(0) { $0 + $1.currentConnections }
        let total = servers.reduce(0) { $0 + $1.totalConnections }
        var line = StatsLine(kind: .backend, proxy: descriptor, name: "BACKEND", id: 0)
        line["status"] = .string(active + backups > 0 || servers.isEmpty ? "UP" : "DOWN")
        line["qcur"] = .integer(backend.queue.count)
        line["scur"] = .integer(current + backend.queue.count)
        line["stot"] = .integer(total)
        line["lbtot"] = .integer(total)
        line["weight"] = .integer(usedWeight)
        line["uweight"] = .integer(usedWeight)
        line["act"] = .integer(active)
        line["bck"] = .integer(backups)
        return line
    }

    /// A server's line: `qcur` (0), `scur`, `smax`, `slim` (`maxconn`, when set), `stot`, `lbtot`, `weight` (0 when
    /// not usable), `uweight`, `act`/`bck` (1/0 by role), `srid` (0), `addr`; `status` `MAINT`, `DRAIN`, `NOLB`,
    /// `DOWN` or `no check` (up: there are no health checks).
    public static func server(_ server: Server, in descriptor: ProxyDescriptor) -> StatsLine {
        var line = StatsLine(kind: .server, proxy: descriptor, name: server.name, id: server.id)
        line["status"] = .string(status(of: server))
        line["qcur"] = .integer(0)
        line["scur"] = .integer(server.currentConnections)
        line["smax"] = .integer(server.maxSeenConnections)
        if server.maxConnections > 0 { line["slim"] = .integer(server.maxConnections) }
        line["stot"] = .integer(server.totalConnections)
        line["lbtot"] = .integer(server.totalConnections)
        line["weight"] = .integer(server.isUsable ? server.weight : 0)
        line["uweight"] = .integer(server.weight)
        line["act"] = .integer(server.isBackup ? 0 : 1)
        line["bck"] = .integer(server.isBackup ? 1 : 0)
        line["srid"] = .integer(0)
        line["addr"] = .string(statsAddress(server.address))
        return line
    }

    /// A listener's line: `scur`, `stot` (connections accepted on it), `addr` (as listened on); `status` as its
    /// frontend's.
    public static func listener(_ listener: Listener, of frontend: ProxyDescriptor, control: (any ProxyControl)?)
        -> StatsLine
    {
        var line = StatsLine(kind: .listener, proxy: frontend, name: listener.name, id: listener.id)
        let current = control?.connections(of: frontend).current ?? 0
        line["status"] = .string(status(of: frontend, current: current))
        line["scur"] = .integer(listener.currentConnections)
        line["stot"] = .integer(listener.totalConnections)
        line["addr"] = .string(listener.addressText)
        return line
    }

    /// A frontend's or listener's status: `OPEN`, `FULL` at `maxconn`, `PAUSED`, `STOP`.
    private static func status(of frontend: ProxyDescriptor, current: Int) -> String {
        switch frontend.runState {
        case .stopped: return "STOP"
        case .paused: return "PAUSED"
        case .ready:
            return frontend.maxConnections > 0 && current >= frontend.maxConnections ? "FULL" : "OPEN"
        }
    }

    /// HAProxy's server status without health checks: `MAINT`, `DRAIN`, `no check` (up), `NOLB`, `DOWN`.
    private static func status(of server: Server) -> String {
        if server.isAdminDown { return "MAINT" }
        switch server.operationalState {
        case .running: return server.hasDrainFlag ? "DRAIN" : "no check"
        case .stopping: return "NOLB"
        case .stopped: return "DOWN"
        }
    }

    /// The `addr` field: `ip:port`, `[ipv6]:port`, or `unix`.
    private static func statsAddress(_ address: SocketAddress) -> String {
        switch address {
        case .v4: return "\(address.ipAddress ?? ""):\(address.port ?? 0)"
        case .v6: return "[\(address.ipAddress ?? "")]:\(address.port ?? 0)"
        case .unixDomainSocket: return "unix"
        }
    }
}
