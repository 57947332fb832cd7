import NIOCore
import TidegateConfig
import TidegateCore
import TidegateLua
import TidegateLuaAPI

/// A Lua state with `core` (including `core.proxies`... and the process data functions) over a small catalog:
/// frontend `fe` (two listeners), backend `be` (s1, s2, backup b1, roundrobin), listen `both` (static-rr, t1) and
/// a backend also named `fe`.
final class ProxyHarness {
    /// Records what the Lua methods ask the running proxy to do.
    final class RecordingControl: ProxyControl, @unchecked Sendable {
        var calls: [String] = []
        var current = 3

        func setPaused(_ paused: Bool, frontend: ProxyDescriptor) {
            calls.append("\(paused ? "pause" : "resume") \(frontend.name)")
        }
        func stop(frontend: ProxyDescriptor) { calls.append("stop \(frontend.name)") }
        func shutdownStreams(using servers: [Server]) {
            calls.append("shutdown " + servers.map(\.name).joined(separator: ","))
        }
        func addressChanged(of server: Server) { calls.append("address \(server.name)") }
        func connections(of frontend: ProxyDescriptor) -> (current: Int, total: Int) { (current, 42) }
        var processInformation: ProcessInformation {
            ProcessInformation(threads: 2, maxConnections: 100, currentConnections: current, totalConnections: 42)
        }
    }

    let state: LuaState
    let catalog: ProxyCatalog
    let control = RecordingControl()
    let backend: Backend
    let staticBackend: Backend

    init(
        attachControl: Bool = true, files: MapFileCache = MapFileCache(), baseDirectory: String? = nil,
        variables: ProcessVariables = ProcessVariables()
    ) throws {
        func server(_ index: Int, _ name: String, backend: String, weight: Int, maxconn: Int = 0, backup: Bool = false)
            -> Server
        {
            Server(
                globalIndex: index, id: index + 1, name: name, backendName: backend,
                address: try! SocketAddress(ipAddress: "127.0.0.1", port: 9000 + index),
                addressText: "127.0.0.1:\(9000 + index)", weight: weight, maxConnections: maxconn, isBackup: backup,
                disabled: false)
        }
        self.backend = Backend(
            index: 0, name: "be",
            servers: [
                server(0, "s1", backend: "be", weight: 10), server(1, "s2", backend: "be", weight: 1, maxconn: 5),
                server(2, "b1", backend: "be", weight: 1, backup: true),
            ], algorithm: .roundRobin, hashType: HashType(), allBackups: false)
        self.staticBackend = Backend(
            index: 1, name: "both", servers: [server(0, "t1", backend: "both", weight: 4)],
            algorithm: .staticRoundRobin, hashType: HashType(), allBackups: false)
        let feBackend = Backend(
            index: 2, name: "fe", servers: [], algorithm: .roundRobin, hashType: HashType(), allBackups: false)
        self.catalog = ProxyCatalog(proxies: [
            ProxyDescriptor(
                uuid: 1, name: "fe", capabilities: .frontend, mode: .http, backend: nil,
                listeners: [
                    Listener(frontendName: "fe", id: 1, name: "sock-1", addressText: "127.0.0.1:8080"),
                    Listener(frontendName: "fe", id: 2, name: "admin", addressText: "unix@/tmp/admin.sock"),
                ], maxConnections: 100),
            ProxyDescriptor(
                uuid: 2, name: "be", capabilities: .backend, mode: .http, backend: self.backend, listeners: [],
                maxConnections: 0),
            ProxyDescriptor(
                uuid: 3, name: "both", capabilities: .listen, mode: .tcp, backend: self.staticBackend,
                listeners: [Listener(frontendName: "both", id: 1, name: "sock-1", addressText: "127.0.0.1:7000")],
                maxConnections: 0),
            ProxyDescriptor(
                uuid: 7, name: "fe", capabilities: .backend, mode: .http, backend: feBackend, listeners: [],
                maxConnections: 0),
        ])
        if attachControl { self.catalog.attach(self.control) }
        self.state = try LuaState()
        var core = try CoreModule.make(for: self.state, environment: CoreEnvironment())
        try LuaProxyBindings.register(in: self.state, core: &core, catalog: self.catalog)
        LuaProcessData.install(
            into: &core, variables: variables, files: files, baseDirectory: baseDirectory, options: LuaAPIOptions())
        try self.state.setGlobal("core", module: core)
    }

    /// Runs `chunk` and returns its results.
    @discardableResult
    func run(_ chunk: String) throws -> [LuaValue] {
        try self.state.run(chunk: chunk, name: "test")
    }

    /// Runs `chunk` and returns its first result as a string.
    func string(_ chunk: String) throws -> String? {
        try self.run(chunk).first?.stringValue
    }

    /// The message of the error `chunk` raises (nil when it does not fail).
    func error(_ chunk: String) throws -> String? {
        do {
            try self.run(chunk)
            return nil
        } catch let error as LuaError {
            return error.message
        }
    }

    var s1: Server { self.backend.servers[0] }
}
