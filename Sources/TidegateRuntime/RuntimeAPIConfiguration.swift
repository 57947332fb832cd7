import NIOCore
import TidegateConfig

/// Where and how the runtime API listens: the `stats socket` and `stats timeout` lines of the configuration.
public struct RuntimeAPIConfiguration: Sendable {
    /// The listening sockets, each with its level.
    public var sockets: [StatsSocketConfiguration]
    /// How long a connection may stay idle while a request is awaited (`stats timeout`, default 10 s).
    public var idleTimeout: TimeAmount
    /// The most bytes one request (or its payload) may take (`tune.bufsize`).
    public var maximumRequestSize: Int

    public init(
        sockets: [StatsSocketConfiguration] = [], idleTimeout: TimeAmount = .seconds(10),
        maximumRequestSize: Int = 16384
    ) {
        self.sockets = sockets
        self.idleTimeout = idleTimeout
        self.maximumRequestSize = maximumRequestSize
    }

    /// The settings of a parsed configuration.
    public init(_ global: GlobalSettings) {
        self.init(
            sockets: global.statsSockets, idleTimeout: .milliseconds(Int64(global.statsTimeout)),
            maximumRequestSize: global.bufferSize)
    }
}
