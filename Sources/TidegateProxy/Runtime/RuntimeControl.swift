import TidegateCore

/// What the Lua API's `Proxy` and `Server` methods and the runtime API do to the running proxy: pause, resume and stop
/// a frontend's listeners, kill the streams of servers on every event loop, close idle connections to a server's old
/// address, read the connection counters.
/// Installed in the runtime's `ProxyCatalog` once the loops and listeners exist.
final class RuntimeControl: ProxyControl {
    private let runtime: ProxyRuntime
    private let listeners: ListenerSet
    private let loops: LoopDirectory

    init(runtime: ProxyRuntime, listeners: ListenerSet, loops: LoopDirectory) {
        self.runtime = runtime
        self.listeners = listeners
        self.loops = loops
    }

    func setPaused(_ paused: Bool, frontend: ProxyDescriptor) {
        listeners.setRequestedPause(paused, frontend: frontend.name)
    }

    func stop(frontend: ProxyDescriptor) {
        listeners.stop(frontend: frontend.name)
    }

    func shutdownStreams(using servers: [Server]) {
        let identifiers = Set(servers.map { ObjectIdentifier($0) })
        for loop in loops.all {
            loop.eventLoop.execute { loop.pool.shutdownStreams(using: identifiers) }
        }
    }

    func addressChanged(of server: Server) {
        let identifiers: Set = [ObjectIdentifier(server)]
        for loop in loops.all {
            loop.eventLoop.execute { loop.pool.closeStaleIdleConnections(of: identifiers) }
        }
    }

    var processInformation: ProcessInformation {
        ProcessInformation(
            threads: loops.all.count, maxConnections: runtime.maxConnections,
            currentConnections: runtime.currentConnections, totalConnections: runtime.totalConnections,
            listeners: runtime.catalog.proxies.reduce(0) { $0 + $1.listeners.count }, stopping: runtime.isStopping,
            node: runtime.node, description: runtime.processDescription)
    }

    func connections(of frontend: ProxyDescriptor) -> (current: Int, total: Int) {
        guard let runtime = runtime.frontends.first(where: { $0.name == frontend.name }) else { return (0, 0) }
        return (runtime.currentConnections, runtime.totalConnections)
    }
}
