/// The `timeout` settings of a proxy, in milliseconds; nil when not set (no timeout).
public struct ProxyTimeouts: Sendable, Hashable {
    /// `timeout connect`: maximum time to establish a server connection.
    public var connect: Int?
    /// `timeout client`: maximum inactivity on the client side.
    public var client: Int?
    /// `timeout server`: maximum inactivity on the server side.
    public var server: Int?
    /// `timeout http-request`: maximum time to receive a complete request head.
    public var httpRequest: Int?
    /// `timeout http-keep-alive`: maximum time to wait for the next request.
    public var httpKeepAlive: Int?
    /// `timeout queue`: maximum time a request may wait for a server slot.
    public var queue: Int?
    /// `timeout tunnel`: inactivity timeout once a connection is a tunnel.
    public var tunnel: Int?
    /// `timeout client-fin`: inactivity timeout on a half-closed client connection.
    public var clientFin: Int?
    /// `timeout server-fin`: inactivity timeout on a half-closed server connection.
    public var serverFin: Int?
    /// `timeout check`: additional read timeout for health checks.
    public var check: Int?

    public init(
        connect: Int? = nil,
        client: Int? = nil,
        server: Int? = nil,
        httpRequest: Int? = nil,
        httpKeepAlive: Int? = nil,
        queue: Int? = nil,
        tunnel: Int? = nil,
        clientFin: Int? = nil,
        serverFin: Int? = nil,
        check: Int? = nil
    ) {
        self.connect = connect
        self.client = client
        self.server = server
        self.httpRequest = httpRequest
        self.httpKeepAlive = httpKeepAlive
        self.queue = queue
        self.tunnel = tunnel
        self.clientFin = clientFin
        self.serverFin = serverFin
        self.check = check
    }

    /// The timeout names accepted after `timeout`.
    static let names = [
        "connect", "client", "server", "http-request", "http-keep-alive", "queue", "tunnel", "client-fin",
        "server-fin", "check",
    ]

    /// The field a `timeout <name>` line sets.
    static func keyPath(for name: String) -> WritableKeyPath<ProxyTimeouts, Int?>? {
        switch name {
        case "connect": return \.connect
        case "client": return \.client
        case "server": return \.server
        case "http-request": return \.httpRequest
        case "http-keep-alive": return \.httpKeepAlive
        case "queue": return \.queue
        case "tunnel": return \.tunnel
        case "client-fin": return \.clientFin
        case "server-fin": return \.serverFin
        case "check": return \.check
        default: return nil
        }
    }
}
