import TidegateCore
import TidegateLua

/// HAProxy's `Proxy`, `Server` and `Listener` classes and the tables `core.proxies`, `core.frontends` and
/// `core.backends` (name → Proxy object).
///
/// The objects are made once per state, when it is created, from the catalog: they are there for the script
/// body already, and the same object tables are found wherever a script reaches them (`core.backends.be.servers.s1`,
/// `server:get_proxy()`). The Swift objects behind them are shared by every state (atomics), so a change made
/// from one state (`set_maint()`) is seen by every event loop at once.
///
/// ```swift
/// var core = try CoreModule.make(for: state, environment: environment)
/// try LuaProxyBindings.register(in: state, core: &core, catalog: catalog)
/// try state.setGlobal("core", module: core)
/// ```
public enum LuaProxyBindings {
    /// Registers the classes in `state`, makes the objects of every section of `catalog`, and adds `proxies`,
    /// `frontends` and `backends` to `core`. On a name shared by a frontend and a backend, `core.proxies` has
    /// the frontend (HAProxy looks frontends up first).
    public static func register(in state: LuaState, core: inout LuaModule, catalog: ProxyCatalog) throws(LuaError) {
        try state.register(self.proxyClass)
        try state.register(self.serverClass)
        try state.register(self.listenerClass)
        var frontends: [LuaValue: LuaValue] = [:]
        var backends: [LuaValue: LuaValue] = [:]
        for descriptor in catalog.proxies {
            let handle = try self.makeProxy(descriptor, catalog: catalog, in: state)
            let name = LuaValue(descriptor.name)
            if descriptor.isFrontend, frontends[name] == nil { frontends[name] = .object(handle) }
            if descriptor.isBackend, backends[name] == nil { backends[name] = .object(handle) }
        }
        core.constant("proxies", .table(LuaTable(hash: backends.merging(frontends) { _, frontend in frontend })))
        core.constant("frontends", .table(LuaTable(hash: frontends)))
        core.constant("backends", .table(LuaTable(hash: backends)))
    }

    /// The Proxy object with its fields `name`, `uuid`, `servers` and `listeners` (no `stktable`: Tidegate has no
    /// stick tables).
    private static func makeProxy(_ descriptor: ProxyDescriptor, catalog: ProxyCatalog, in state: LuaState)
        throws(LuaError) -> LuaObjectHandle
    {
        let handle = try state.makeObject(LuaProxy(descriptor: descriptor, catalog: catalog), of: self.proxyClass)
        var servers: [LuaValue: LuaValue] = [:]
        for server in descriptor.backend?.servers ?? [] {
            let object = LuaServer(server: server, proxy: descriptor, proxyHandle: handle, catalog: catalog)
            let serverHandle = try state.makeObject(object, of: self.serverClass)
            try state.setObjectField("name", of: serverHandle, to: LuaValue(server.name))
            try state.setObjectField("puid", of: serverHandle, to: LuaValue(String(server.id)))
            servers[LuaValue(server.name)] = .object(serverHandle)
        }
        var listeners: [LuaValue: LuaValue] = [:]
        for listener in descriptor.listeners {
            let object = LuaListener(listener: listener, frontend: descriptor, catalog: catalog)
            listeners[LuaValue(listener.name)] = .object(try state.makeObject(object, of: self.listenerClass))
        }
        try state.setObjectField("name", of: handle, to: LuaValue(descriptor.name))
        try state.setObjectField("uuid", of: handle, to: LuaValue(String(descriptor.uuid)))
        try state.setObjectField("servers", of: handle, to: .table(LuaTable(hash: servers)))
        try state.setObjectField("listeners", of: handle, to: .table(LuaTable(hash: listeners)))
        return handle
    }

    // MARK: Classes

    /// HAProxy checks no argument count on these methods; extra arguments are ignored.
    static let proxyClass = LuaClass<LuaProxy>(
        "Proxy",
        methods: [
            LuaMethod("get_name", arguments: .any) { proxy, _ in .values([LuaValue(proxy.descriptor.name)]) },
            LuaMethod("get_uuid", arguments: .any) { proxy, _ in
                .values([LuaValue(String(proxy.descriptor.uuid))])
            },
            LuaMethod("pause", arguments: .any) { proxy, _ in
                try proxy.setPaused(true)
                return .values([])
            },
            LuaMethod("resume", arguments: .any) { proxy, _ in
                try proxy.setPaused(false)
                return .values([])
            },
            LuaMethod("stop", arguments: .any) { proxy, _ in
                try proxy.stop()
                return .values([])
            },
            LuaMethod("shut_bcksess", arguments: .any) { proxy, _ in
                proxy.shutBackupSessions()
                return .values([])
            },
            LuaMethod("get_cap", arguments: .any) { proxy, _ in .values([LuaValue(proxy.capability)]) },
            LuaMethod("get_mode", arguments: .any) { proxy, _ in .values([LuaValue(proxy.descriptor.mode.rawValue)]) },
            LuaMethod("get_srv_act", arguments: .any) { proxy, _ in
                .values([.integer(Int64(proxy.descriptor.backend?.usableActiveCount ?? 0))])
            },
            LuaMethod("get_srv_bck", arguments: .any) { proxy, _ in
                .values([.integer(Int64(proxy.descriptor.backend?.usableBackupCount ?? 0))])
            },
            LuaMethod("get_stats", arguments: .any) { proxy, _ in .values([.table(LuaProxyStats.proxy(proxy))]) },
            // No mailers section in Tidegate: nothing, as HAProxy for a proxy without email alerts.
            LuaMethod("get_mailers", arguments: .any) { _, _ in .values([]) },
        ])

    static let serverClass = LuaClass<LuaServer>(
        "Server",
        methods: [
            LuaMethod("get_name", arguments: .any) { object, _ in .values([LuaValue(object.server.name)]) },
            LuaMethod("get_puid", arguments: .any) { object, _ in .values([LuaValue(String(object.server.id))]) },
            // Servers come from the configuration only: revision 0.
            LuaMethod("get_rid", arguments: .any) { _, _ in .values(["0"]) },
            LuaMethod("is_draining", arguments: .any) { object, _ in .values([.boolean(object.server.isDraining)]) },
            LuaMethod("is_backup", arguments: .any) { object, _ in .values([.boolean(object.server.isBackup)]) },
            LuaMethod("is_dynamic", arguments: .any) { _, _ in .values([false]) },
            LuaMethod("get_cur_sess", arguments: .any) { object, _ in
                .values([.integer(Int64(object.server.currentConnections))])
            },
            // Streams queue per backend in Tidegate, never for one server.
            LuaMethod("get_pend_conn", arguments: .any) { _, _ in .values([0]) },
            LuaMethod("set_maxconn", arguments: .any) { object, arguments in
                .values([try object.setMaxConnections(arguments)])
            },
            LuaMethod("get_maxconn", arguments: .any) { object, _ in
                .values([.integer(Int64(object.server.maxConnections))])
            },
            LuaMethod("set_weight", arguments: .any) { object, arguments in
                .values([try object.setWeight(arguments)])
            },
            LuaMethod("get_weight", arguments: .any) { object, _ in .values([.integer(Int64(object.server.weight))]) },
            LuaMethod("set_addr", arguments: .any) { object, arguments in .values([try object.setAddress(arguments)]) },
            LuaMethod("get_addr", arguments: .any) { object, _ in .values([LuaValue(object.addressText)]) },
            LuaMethod("get_stats", arguments: .any) { object, _ in .values([.table(LuaProxyStats.server(object))]) },
            LuaMethod("get_proxy", arguments: .any) { object, _ in .values([.object(object.proxyHandle)]) },
            LuaMethod("shut_sess", arguments: .any) { object, _ in
                object.catalog.control?.shutdownStreams(using: [object.server])
                return .values([])
            },
            LuaMethod("set_drain", arguments: .any) { object, _ in
                object.setAdministrativeState(.drain)
                return .values([])
            },
            LuaMethod("set_maint", arguments: .any) { object, _ in
                object.setAdministrativeState(.maint)
                return .values([])
            },
            LuaMethod("set_ready", arguments: .any) { object, _ in
                object.setAdministrativeState(.ready)
                return .values([])
            },
            // No health check or agent is configured in Tidegate: HAProxy then leaves `check_enable`,
            // `check_disable` and every `agent_*` method without effect. Forcing the check result still sets the
            // operational state (HAProxy does it for any server that tracks no other).
            LuaMethod("check_enable", arguments: .any) { _, _ in .values([]) },
            LuaMethod("check_disable", arguments: .any) { _, _ in .values([]) },
            LuaMethod("check_force_up", arguments: .any) { object, _ in
                object.forceOperationalState(.running)
                return .values([])
            },
            LuaMethod("check_force_nolb", arguments: .any) { object, _ in
                object.forceOperationalState(.stopping)
                return .values([])
            },
            LuaMethod("check_force_down", arguments: .any) { object, _ in
                object.forceOperationalState(.stopped)
                return .values([])
            },
            LuaMethod("agent_enable", arguments: .any) { _, _ in .values([]) },
            LuaMethod("agent_disable", arguments: .any) { _, _ in .values([]) },
            LuaMethod("agent_force_up", arguments: .any) { _, _ in .values([]) },
            LuaMethod("agent_force_down", arguments: .any) { _, _ in .values([]) },
        ])

    static let listenerClass = LuaClass<LuaListener>(
        "Listener",
        methods: [
            LuaMethod("get_stats", arguments: .any) { object, _ in .values([.table(LuaProxyStats.listener(object))]) }
        ])
}
