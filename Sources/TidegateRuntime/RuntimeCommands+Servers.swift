import NIOCore
import TidegateConfig
import TidegateCore

extension RuntimeCommands {
    /// `show backend`, `show servers state`, `get weight`, and the admin commands that change servers:
    /// `disable server`, `enable server`, `set server`, `set weight`, `set maxconn server`.
    static func servers(_ environment: RuntimeAPIEnvironment) -> [CLICommand] {
        let catalog = environment.catalog
        // A command whose first argument after its words names a server: `body` runs on it, or the lookup error is
        // the answer.
        func serverCommand(
            _ words: [String], _ syntax: String, _ description: String, _ level: CLIAccessLevel = .user,
            body: @escaping @Sendable (CLIRequest, Backend, Server) -> String
        ) -> CLICommand {
            CLICommand(
                words: words, usage: CLICommand.usage(syntax, description), level: level,
                action: .respond { request in
                    switch server(request[words.count], in: catalog) {
                    case .success(let (backend, server)): return body(request, backend, server)
                    case .failure(let error): return error.message
                    }
                })
        }

        return [
            CLICommand(
                words: ["show", "backend"], usage: CLICommand.usage("show backend", "list the backends"),
                action: .respond { _ in
                    "# name\n" + catalog.proxies.filter(\.isBackend).map { "\($0.name)\n" }.joined()
                }),
            CLICommand(
                words: ["show", "servers", "state"],
                usage: CLICommand.usage("show servers state [<backend>]", "server states, of every backend or of one"),
                action: .respond { request in showServersState(request[3], catalog: catalog) }),
            serverCommand(["get", "weight"], "get weight <bk>/<srv>", "current and configured weight of a server") {
                _, _, server in "\(server.weight) (initial \(server.initialWeight))"
            },
            serverCommand(["disable", "server"], "disable server <bk>/<srv>", "put a server in maintenance", .admin) {
                _, backend, server in
                backend.setAdministrativeState(.maint, of: server)
                return ""
            },
            serverCommand(
                ["enable", "server"], "enable server <bk>/<srv>", "take a server out of maintenance or drain", .admin
            ) { _, backend, server in
                backend.setAdministrativeState(.ready, of: server)
                return ""
            },
            serverCommand(
                ["set", "server"], "set server <bk>/<srv> state|weight|addr <v>",
                "change a server's state, weight or address", .admin
            ) { request, backend, server in setServer(request, backend, server, control: catalog.control) },
            serverCommand(["set", "weight"], "set weight <bk>/<srv> <w>[%]", "change a server's weight", .admin) {
                request, backend, server in backend.changeWeight(of: server, to: request[3] ?? "") ?? ""
            },
            serverCommand(
                ["set", "maxconn", "server"], "set maxconn server <bk>/<srv> <n>", "change a server's maxconn", .admin
            ) { request, backend, server in backend.changeMaxConnections(of: server, to: request[4] ?? "") ?? "" },
        ]
    }

    /// `set server <bk>/<srv> state|weight|health|agent|addr ...`.
    private static func setServer(
        _ request: CLIRequest, _ backend: Backend, _ server: Server, control: (any ProxyControl)?
    ) -> String {
        switch request[3] {
        case "state":
            guard let state = request[4].flatMap(Backend.AdministrativeState.init(rawValue:)) else {
                return "'set server <srv> state' expects 'ready', 'drain' and 'maint'."
            }
            backend.setAdministrativeState(state, of: server)
            return ""
        case "weight":
            return backend.changeWeight(of: server, to: request[4] ?? "") ?? ""
        case "health":
            return "health checks are not enabled on this server."
        case "agent":
            return "agent checks are not enabled on this server."
        case "addr":
            return setAddress(request, server, control: control)
        default:
            return "'set server <srv>' only supports 'agent', 'health', 'state', 'weight' and 'addr'."
        }
    }

    /// `set server <bk>/<srv> addr <ip> [port <port>]`: the same change as Lua's `Server:set_addr`, answered with
    /// HAProxy's report. Idle connections to the old address are closed on every loop.
    private static func setAddress(_ request: CLIRequest, _ server: Server, control: (any ProxyControl)?) -> String {
        guard let addr = request[4] else { return "set server <b>/<s> addr requires an address and optionally a port." }
        var port: String?
        if let keyword = request[5] {
            guard keyword == "port", let value = request[6] else {
                return "set server <b>/<s> addr requires an address and optionally a port."
            }
            port = value
        }
        let before = server.currentAddress
        let report = server.updateAddress(addr, port: port, updater: "stats socket command")
        if server.currentAddress !== before { control?.addressChanged(of: server) }
        return report
    }

    /// HAProxy's server state dump, format version 1.
    static func showServersState(_ name: String?, catalog: ProxyCatalog) -> String {
        var sections = catalog.proxies.filter(\.isBackend)
        if let name {
            guard let backend = catalog.backend(named: name) else { return "Can't find backend." }
            sections = [backend]
        }
        var text = "1\n# " + serversStateColumns.joined(separator: " ") + "\n"
        for descriptor in sections {
            for server in descriptor.backend?.servers ?? [] {
                text += serverStateLine(server, in: descriptor).joined(separator: " ") + "\n"
            }
        }
        return text
    }

    static let serversStateColumns = [
        "be_id", "be_name", "srv_id", "srv_name", "srv_addr", "srv_op_state", "srv_admin_state", "srv_uweight",
        "srv_iweight", "srv_time_since_last_change", "srv_check_status", "srv_check_result", "srv_check_health",
        "srv_check_state", "srv_agent_state", "bk_f_forced_id", "srv_f_forced_id", "srv_fqdn", "srv_port",
        "srvrecord", "srv_use_ssl", "srv_check_port", "srv_check_addr", "srv_agent_addr", "srv_agent_port",
    ]

    /// One server's fields. No health checks: check and agent states are 0; state changes are not timed (0).
    private static func serverStateLine(_ server: Server, in descriptor: ProxyDescriptor) -> [String] {
        let operational: Int
        switch server.operationalState {
        case .stopped: operational = 0
        case .running: operational = 2
        case .stopping: operational = 3
        }
        let administrative = (server.isAdminDown ? 0x01 : 0) | (server.hasDrainFlag ? 0x08 : 0)
        var fqdn = "-"
        if case .success(.inet(.hostname(let host), _)) = ConfigAddress.parse(server.addressText, usage: .server) {
            fqdn = host
        }
        return [
            String(descriptor.uuid), descriptor.name, String(server.id), server.name,
            server.address.ipAddress ?? "-", String(operational), String(administrative), String(server.weight),
            String(server.initialWeight), "0", "0", "0", "0", "0", "0", descriptor.hasForcedID ? "1" : "0",
            server.hasForcedID ? "1" : "0", fqdn, String(server.address.port ?? 0), "-", "0", "0", "-", "-", "0",
        ]
    }
}
