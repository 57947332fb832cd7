/// What the running proxy does when the Lua API (HAProxy's `Proxy` and `Server` methods) or the runtime API acts on
/// listeners and streams, and what it reports about the process. The proxy installs it in its `ProxyCatalog` once
/// its listeners and event loops exist; every method may be called from any thread.
public protocol ProxyControl: AnyObject, Sendable {
    /// Stops accepting on the frontend's listeners (connections wait in the backlog) or accepts again.
    func setPaused(_ paused: Bool, frontend: ProxyDescriptor)
    /// Closes the frontend's listeners for good; connections in progress go on.
    func stop(frontend: ProxyDescriptor)
    /// Kills the streams using one of `servers`, on every event loop (HAProxy's `srv_shutdown_streams`).
    func shutdownStreams(using servers: [Server])
    /// Closes the idle connections to `server` that go to an address it no longer has, on every event loop
    /// (HAProxy's `srv_cleanup_connections` after an address change).
    func addressChanged(of server: Server)
    /// The frontend's open and total client connections.
    func connections(of frontend: ProxyDescriptor) -> (current: Int, total: Int)
    /// The process's counters and settings now (`show info`, `core.get_info()`).
    var processInformation: ProcessInformation { get }
}
