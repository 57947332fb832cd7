import NIOCore
import NIOPosix
import TidegateCore
import TidegateLuaAPI

/// The state one event loop owns: balancer positions, idle server connections, and the bootstrap
/// used to open server connections. Touched only from its own loop, so it needs no locks.
final class LoopContext: @unchecked Sendable {
    let eventLoop: any EventLoop
    /// Position of the loop (0-based), HAProxy's thread id minus one.
    let index: Int
    private var balancers: [BalancerState]
    let pool: ServerConnectionPool
    let runtime: ProxyRuntime
    /// Client sessions of this loop, told when a soft stop begins.
    private var sessions: [ObjectIdentifier: any SoftStoppable] = [:]
    /// The loop's view of the Lua engine (nil without scripts); streams reach it through their sample context.
    let lua: LuaLoopRuntime?

    init(eventLoop: any EventLoop, index: Int, runtime: ProxyRuntime) {
        self.eventLoop = eventLoop
        self.index = index
        self.runtime = runtime
        self.balancers = runtime.backends.map { BalancerState(serverCount: $0.backend.servers.count) }
        self.pool = ServerConnectionPool(serverCount: runtime.serverCount, eventLoop: eventLoop)
        self.lua = runtime.lua.map {
            LuaLoopRuntime(engine: $0, eventLoop: eventLoop, index: index, loopCount: $0.loopCount)
        }
    }

    func register(_ session: any SoftStoppable) { sessions[ObjectIdentifier(session)] = session }
    func unregister(_ session: any SoftStoppable) { sessions[ObjectIdentifier(session)] = nil }

    /// Soft stop: idle server connections close now, client sessions close once idle.
    func softStop() {
        eventLoop.assertInEventLoop()
        pool.closeAll()
        for session in Array(sessions.values) { session.softStop() }
    }

    /// Chooses a server of `backend` using this loop's balancing state.
    func selectServer(
        _ backend: BackendRuntime, hashInput: BalancerState.HashInput, avoiding: Server?
    ) -> ServerSelection {
        eventLoop.assertInEventLoop()
        return balancers[backend.backend.index].select(in: backend.backend, hashInput: hashInput, avoiding: avoiding)
    }

    /// Opens a TCP connection to `address` (the server's `currentAddress`, read once by the caller, which gives it
    /// to the pool with the connection) with the backend's connect timeout.
    func connect(
        to address: ServerAddress, timeout: TimeAmount?,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        var bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelInitializer(initializer)
        if let timeout { bootstrap = bootstrap.connectTimeout(timeout) }
        return bootstrap.connect(to: address.socketAddress)
    }
}

/// A client session that reacts to a soft stop.
protocol SoftStoppable: AnyObject {
    /// Close now if idle; otherwise close after the exchange in progress.
    func softStop()
}
