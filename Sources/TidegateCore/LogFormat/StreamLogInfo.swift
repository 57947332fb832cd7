import NIOCore

/// What the proxy records about one stream (or one HTTP transaction on a keep-alive connection)
/// for its log line. Filled by the proxy as the stream advances; rendered by `LogFormat`.
///
/// Timers are milliseconds, `-1` when the step was never reached, as HAProxy logs them.
public struct StreamLogInfo: Sendable {
    /// When the connection was accepted (or, for a later request on a keep-alive connection, when
    /// the previous transaction ended), in microseconds since the epoch (`%t`, `%T`, `%Ts`, `%ms`).
    public var acceptDate: Int64 = 0
    /// `%Th`: connection handshake time (TLS, PROXY protocol); 0 without one.
    public var handshakeTime: Int = 0
    /// `%Ti`: idle time before the first byte of the request.
    public var idleTime: Int = 0
    /// `%TR`: time to receive the full request head from its first byte.
    public var requestTime: Int = -1
    /// `%Tw`: time spent in queues waiting for a connection slot.
    public var queueTime: Int = -1
    /// `%Tc`: time to establish the connection to the server.
    public var connectTime: Int = -1
    /// `%Tr`: server response time (from connection established to full response head).
    public var responseTime: Int = -1
    /// `%Tt`: total time from accept to close.
    public var totalTime: Int = -1
    /// `%ST`: HTTP status sent to the client; -1 when none was (0 in TCP mode).
    public var status: Int = -1
    /// `%B`: bytes sent to the client (headers included).
    public var bytesOut: Int64 = 0
    /// `%U`: bytes received from the client (headers included).
    public var bytesIn: Int64 = 0
    /// `%ts`: termination cause then session state at close, e.g. `--`, `CD`, `SC`, `sH`.
    public var terminationState: String = "--"
    /// The persistence cookie part of `%tsc`: request cookie then response cookie state, `--` when
    /// the backend has no cookie.
    public var cookieState: String = "--"
    /// `%ac`: concurrent connections on the process.
    public var activeConnections: Int = 0
    /// `%fc`: concurrent connections on the frontend.
    public var frontendConnections: Int = 0
    /// `%bc`: concurrent connections on the backend.
    public var backendConnections: Int = 0
    /// `%sc`: concurrent connections on the server.
    public var serverConnections: Int = 0
    /// `%rc`: connection retries.
    public var retries: Int = 0
    /// Whether the stream was redispatched to another server (`%rc` gets a `+`).
    public var redispatched: Bool = false
    /// `%sq`: position in the server's queue.
    public var serverQueue: Int = 0
    /// `%bq`: position in the backend's queue.
    public var backendQueue: Int = 0
    /// `%r`: the request line as received (`GET /path HTTP/1.1`); nil shows `<BADREQ>`.
    public var requestLine: String?
    /// `%CC`: captured request cookie.
    public var capturedRequestCookie: String?
    /// `%CS`: captured response cookie.
    public var capturedResponseCookie: String?
    /// `%hr`: captured request headers, one per `capture request header`; nil when none are configured.
    public var capturedRequestHeaders: [String?]?
    /// `%hs`: captured response headers; nil when none are configured.
    public var capturedResponseHeaders: [String?]?
    /// `%ID`: the unique ID.
    public var uniqueID: String?
    /// `%bi`/`%bp`: the source address of the server connection.
    public var backendSourceAddress: SocketAddress?
    /// `%si`/`%sp`: the server address connected to.
    public var serverAddress: SocketAddress?
    /// `option logasap`: the line is emitted before the end, `%B`, `%Ta`, `%Tt`, `%Tu` get a `+`.
    public var isPartial: Bool = false
    /// `%rt`: the stream's request counter.
    public var requestCounter: Int = 0
    /// `%lc`: the frontend's log counter.
    public var logCounter: Int = 0
    /// Whether the frontend listener uses TLS (`%ft` gets a `~`).
    public var frontendUsesTLS: Bool = false

    public init() {}

    /// `%Tq`: `Th + Ti + TR`, or -1 when the request was not complete.
    public var requestCompleteTime: Int {
        requestTime >= 0 ? handshakeTime + max(idleTime, 0) + requestTime : -1
    }

    /// `%Ta`: active time, `Tt - Th - Ti`.
    public var activeTime: Int {
        totalTime - (idleTime >= 0 ? idleTime + handshakeTime : 0)
    }

    /// `%Tu`: total time without the idle time, `Tt - Ti`.
    public var userTime: Int {
        totalTime - (idleTime >= 0 ? idleTime : 0)
    }

    /// `%Td`: data transfer time, `Tt - (Tq + Tw + Tc + Tr)`, or -1 when the response (HTTP) or the
    /// connection (TCP) never came.
    public func dataTime(http: Bool) -> Int {
        let reached = http ? responseTime : connectTime
        guard reached >= 0 else { return -1 }
        var elapsed = handshakeTime + max(idleTime, 0) + max(requestTime, 0) + max(queueTime, 0) + max(connectTime, 0)
        if http { elapsed += responseTime }
        return totalTime - elapsed
    }

    /// When the request started (`%tr`): the accept date plus `Th + Ti`, in microseconds.
    public var requestDate: Int64 {
        acceptDate + Int64(idleTime >= 0 ? idleTime + handshakeTime : 0) * 1000
    }
}
