import SPOP

/// Everything the agent needs to run: where to listen, how many workers, which scripts, and the limits.
public struct SPOAConfiguration: Sendable {
    /// The limits put on script handlers, the same mechanisms as the proxy's Lua (`tune.lua.*`).
    public struct Limits: Sendable {
        /// Lua instructions between two forced yields (HAProxy's `tune.lua.forced-yield`): a long handler gives
        /// the worker back to its other connections. 0 disables forced yields.
        public var forcedYieldInstructions: Int
        /// CPU time one handler call may use (Lua: over all its resumes). Past it the handler is cut off and its
        /// NOTIFY answered with an empty ACK. nil for none.
        public var handlerTimeout: Duration?
        /// Bytes each Lua state may allocate (`tune.lua.maxmem`, per worker); 0 for no limit.
        public var luaMaxMemory: Int

        public init(
            forcedYieldInstructions: Int = 10_000, handlerTimeout: Duration? = .seconds(1),
            luaMaxMemory: Int = 128 << 20
        ) {
            self.forcedYieldInstructions = forcedYieldInstructions
            self.handlerTimeout = handlerTimeout
            self.luaMaxMemory = luaMaxMemory
        }
    }

    /// Where to accept HAProxy's connections (`12345`, `127.0.0.1:12345`, `[::1]:12345`, `unix@/path`).
    public var listen: [SPOAListenAddress]
    /// Worker event loops; each has its own script interpreters (at least 1).
    public var workers: Int
    /// Scripts to load in every worker, in order; the engine is chosen by extension (`.lua`, `.luac`).
    public var scripts: [String]
    /// HELLO negotiation and frame limits.
    public var protocolConfiguration: SPOPConfiguration
    public var limits: Limits
    /// NOTIFY frames one connection may have in flight before the agent stops reading from it (HAProxy 2.6 sends
    /// at most `max-waiting-frames`, 20 by default; 3.1+ at most 20).
    public var maxInFlightPerConnection: Int
    /// On graceful shutdown, how long connections may take to finish their in-flight frames before they are
    /// closed anyway.
    public var shutdownGracePeriod: Duration

    public init(
        listen: [SPOAListenAddress] = [.tcp(host: "0.0.0.0", port: 12345)],
        workers: Int = 5,
        scripts: [String] = [],
        protocolConfiguration: SPOPConfiguration = SPOPConfiguration(),
        limits: Limits = Limits(),
        maxInFlightPerConnection: Int = 256,
        shutdownGracePeriod: Duration = .seconds(5)
    ) {
        self.listen = listen
        self.workers = max(1, workers)
        self.scripts = scripts
        self.protocolConfiguration = protocolConfiguration
        self.limits = limits
        self.maxInFlightPerConnection = max(1, maxInFlightPerConnection)
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
