import NIOCore

/// The timeouts of a proxy as durations (HAProxy's `timeout` keywords; nil = not set = infinite).
public struct StreamTimeouts: Sendable {
    public var connect: TimeAmount?
    public var client: TimeAmount?
    public var server: TimeAmount?
    public var httpRequest: TimeAmount?
    public var httpKeepAlive: TimeAmount?
    public var queue: TimeAmount?
    public var tunnel: TimeAmount?
    public var clientFin: TimeAmount?
    public var serverFin: TimeAmount?

    public init() {}

    /// Converts a configured millisecond value.
    static func amount(_ milliseconds: Int?) -> TimeAmount? {
        milliseconds.map { .milliseconds(Int64($0)) }
    }
}
