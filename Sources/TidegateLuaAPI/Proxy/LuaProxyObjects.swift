import NIOCore
import TidegateCore
import TidegateLua

/// The Swift object behind a Lua `Proxy`: a section of the catalog. One per state; the descriptor, its servers and
/// listeners are shared by every state.
final class LuaProxy: Sendable {
    let descriptor: ProxyDescriptor
    let catalog: ProxyCatalog

    init(descriptor: ProxyDescriptor, catalog: ProxyCatalog) {
        self.descriptor = descriptor
        self.catalog = catalog
    }

    /// HAProxy's `proxy_cap_str`: "proxy" for a listen section (both capabilities).
    var capability: String {
        switch (descriptor.isFrontend, descriptor.isBackend) {
        case (true, false): "frontend"
        case (false, true): "backend"
        default: "proxy"
        }
    }

    /// The running proxy's control, or HAProxy-style error for `method` before it runs.
    func control(_ method: String) throws(LuaArgumentError) -> any ProxyControl {
        guard let control = catalog.control else {
            throw LuaArgumentError(
                message: "'\(method)': the proxy is not running yet (not available in the body or init context)")
        }
        return control
    }

    /// `pause()` / `resume()`: frontends stop or start accepting; nothing for a backend (as HAProxy).
    func setPaused(_ paused: Bool) throws(LuaArgumentError) {
        guard descriptor.isFrontend else { return }
        let control = try self.control(paused ? "pause" : "resume")
        let expected: ProxyDescriptor.RunState = paused ? .ready : .paused
        guard descriptor.runState == expected, descriptor.setRunState(paused ? .paused : .ready) else { return }
        control.setPaused(paused, frontend: descriptor)
    }

    /// `stop()`: a frontend's listeners close for good; a backend is only marked stopped (as HAProxy).
    func stop() throws(LuaArgumentError) {
        if descriptor.isFrontend {
            let control = try self.control("stop")
            guard descriptor.setRunState(.stopped) else { return }
            control.stop(frontend: descriptor)
        } else {
            descriptor.setRunState(.stopped)
        }
    }

    /// `shut_bcksess()`: kills the streams on the backup servers.
    func shutBackupSessions() {
        let backups = descriptor.backend?.servers.filter(\.isBackup) ?? []
        guard !backups.isEmpty else { return }
        catalog.control?.shutdownStreams(using: backups)
    }
}

/// The Swift object behind a Lua `Server`: the shared `Server` with its backend and the state's `Proxy` object
/// (`get_proxy()`).
final class LuaServer: Sendable {
    let server: Server
    let proxy: ProxyDescriptor
    let proxyHandle: LuaObjectHandle
    let catalog: ProxyCatalog

    init(server: Server, proxy: ProxyDescriptor, proxyHandle: LuaObjectHandle, catalog: ProxyCatalog) {
        self.server = server
        self.proxy = proxy
        self.proxyHandle = proxyHandle
        self.catalog = catalog
    }

    /// `set_weight(w)`: nil, or HAProxy's error message.
    func setWeight(_ arguments: [LuaValue]) throws(LuaArgumentError) -> LuaValue {
        let text = try LuaArguments(arguments, function: "set_weight", firstPosition: 2).string(0)
        return self.result(self.backend?.changeWeight(of: server, to: Self.cString(text)))
    }

    /// `set_maxconn(n)`: nil, or HAProxy's error message.
    func setMaxConnections(_ arguments: [LuaValue]) throws(LuaArgumentError) -> LuaValue {
        let text = try LuaArguments(arguments, function: "set_maxconn", firstPosition: 2).string(0)
        return self.result(self.backend?.changeMaxConnections(of: server, to: Self.cString(text)))
    }

    /// `set_ready()`, `set_drain()`, `set_maint()`: HAProxy's three exclusive administrative states.
    func setAdministrativeState(_ state: Backend.AdministrativeState) {
        self.backend?.setAdministrativeState(state, of: server)
    }

    /// `check_force_up()`, `check_force_nolb()`, `check_force_down()`.
    func forceOperationalState(_ state: Server.OperationalState) {
        self.backend?.forceOperationalState(state, of: server)
    }

    /// `set_addr(addr[, port])`: HAProxy's report of the change (also on success, as HAProxy returns it). New
    /// connections go to the new address on every loop; idle connections to the old one are closed.
    func setAddress(_ arguments: [LuaValue]) throws(LuaArgumentError) -> LuaValue {
        let values = LuaArguments(arguments, function: "set_addr", firstPosition: 2)
        let addr = Self.cString(try values.string(0))
        let port = values.count >= 2 ? Self.cString(try values.string(1)) : nil
        let before = server.currentAddress
        let report = server.updateAddress(addr, port: port, updater: "Lua script")
        if server.currentAddress !== before { catalog.control?.addressChanged(of: server) }
        return LuaValue(report)
    }

    private var backend: Backend? { proxy.backend }

    private func result(_ error: String?) -> LuaValue { error.map { LuaValue($0) } ?? .nil }

    /// `get_addr()`: "ip:port" (IPv6 without brackets, as HAProxy), or the UNIX socket path.
    var addressText: String {
        let address = server.address
        if let path = address.pathname { return path }
        guard let ip = address.ipAddress else { return "<unknown>" }
        return "\(ip):\(address.port ?? 0)"
    }

    /// A Lua string argument as C reads it: up to its first NUL.
    static func cString(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// The Swift object behind a Lua `Listener`.
final class LuaListener: Sendable {
    let listener: Listener
    let frontend: ProxyDescriptor
    let catalog: ProxyCatalog

    init(listener: Listener, frontend: ProxyDescriptor, catalog: ProxyCatalog) {
        self.listener = listener
        self.frontend = frontend
        self.catalog = catalog
    }
}
