import TidegateConfig
import NIOCore
import Synchronization
import TidegateCore
import TidegateHTTP

/// A frontend (or the frontend half of a `listen` section) at run time. Shared by every event loop.
public final class FrontendRuntime: Sendable {
    /// Identifies the configuration section; a `listen` section's frontend and backend share it.
    public let proxyID: Int
    public let name: String
    public let mode: ProxyMode
    public let timeouts: StreamTimeouts
    /// Most concurrent client connections; 0 = no limit.
    public let maxConnections: Int
    public let defaultBackend: BackendRuntime?
    public let rules: ProxyRules
    public let connectionMode: HTTPConnectionMode
    public let log: ProxyLog?
    public let errorPages: ErrorPages
    /// `option forwardfor` set on the frontend (applies when the backend has none).
    public let forwardFor: ForwardFor?
    /// Client connections against the frontend's `maxconn`.
    let connections: ConnectionCounter

    public init(
        proxyID: Int, name: String, mode: ProxyMode, timeouts: StreamTimeouts, maxConnections: Int,
        defaultBackend: BackendRuntime?, rules: ProxyRules, connectionMode: HTTPConnectionMode,
        log: ProxyLog?, errorPages: ErrorPages, forwardFor: ForwardFor? = nil
    ) {
        self.forwardFor = forwardFor
        self.connections = ConnectionCounter(maximum: maxConnections)
        self.proxyID = proxyID
        self.name = name
        self.mode = mode
        self.timeouts = timeouts
        self.maxConnections = maxConnections
        self.defaultBackend = defaultBackend
        self.rules = rules
        self.connectionMode = connectionMode
        self.log = log
        self.errorPages = errorPages
    }

    /// Current client connections (HAProxy's `%fc`).
    public var currentConnections: Int { connections.currentCount }
    public var totalConnections: Int { connections.totalCount }
    var admission: AdmissionControl { connections.admission }

    func connectionOpened() { connections.opened() }
    func connectionClosed() { connections.closed() }
}

/// The bodies answered for each status, from `errorfile` or HAProxy's defaults.
public struct ErrorPages: Sendable {
    private var custom: [Int: ByteBuffer]
    private static let defaults: [Int: ByteBuffer] = {
        var pages: [Int: ByteBuffer] = [:]
        for code in [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504] {
            pages[code] = HTTPErrorPage.defaultResponse(for: code)
        }
        return pages
    }()

    public init(custom: [Int: ByteBuffer] = [:]) { self.custom = custom }

    /// The full response for `status`: this proxy's `errorfile`, then `fallback`'s (the frontend's
    /// when this is the backend's, as HAProxy does), then the built-in page.
    public func response(for status: Int, fallback: ErrorPages? = nil) -> ByteBuffer {
        custom[status] ?? fallback?.custom[status] ?? Self.defaults[status] ?? HTTPErrorPage.defaultResponse(for: status)
    }
}
