/// A `frontend`, `backend` or `listen` section after its defaults section has been applied.
///
/// Settings that only make sense for one capability may still be present when they were inherited
/// from a defaults section (e.g. `timeout client` in a backend); they are simply unused.
public struct ProxyConfiguration: Sendable, Equatable {
    /// The proxy name.
    public var name: String
    /// The section header line.
    public var location: ConfigLocation
    /// `.frontend`, `.backend` or both for `listen`.
    public var capabilities: ProxyCapabilities
    /// The defaults section this proxy inherited from: its name, `""` for an unnamed one, nil when none.
    public var defaultsName: String?
    /// `mode`, `tcp` by default.
    public var mode: ProxyMode
    /// `timeout` settings.
    public var timeouts: ProxyTimeouts
    /// `maxconn`: the frontend's concurrent connections limit.
    public var maxConnections: Int?
    /// `fullconn`: the backend load at which servers reach their `maxconn` (dynamic limits).
    public var fullConnections: Int?
    /// `retries`: connection retries to a server, 3 by default.
    public var retries: Int
    /// `id <n>`: the numeric proxy identifier.
    public var id: Int?
    /// `description <text>`.
    public var description: String?
    /// `disabled` (true) / `enabled` (false).
    public var isDisabled: Bool

    /// `bind` lines, in order.
    public var binds: [BindConfiguration]
    /// `default_backend`.
    public var defaultBackend: String?
    /// `use_backend` rules, in order.
    public var backendRules: [UseBackendRule]
    /// `acl` lines, in order.
    public var acls: [ACLDefinition]

    /// `http-request` rules, those of the defaults section first.
    public var httpRequestRules: [HTTPRule]
    /// `http-response` rules, those of the defaults section first.
    public var httpResponseRules: [HTTPRule]
    /// `http-after-response` rules, those of the defaults section first.
    public var httpAfterResponseRules: [HTTPRule]
    /// `tcp-request connection` rules.
    public var tcpRequestConnectionRules: [TCPRule]
    /// `tcp-request content` rules.
    public var tcpRequestContentRules: [TCPRule]
    /// `tcp-response content` rules.
    public var tcpResponseContentRules: [TCPRule]
    /// `tcp-request inspect-delay`, in milliseconds.
    public var tcpRequestInspectDelay: Int?
    /// `tcp-response inspect-delay`, in milliseconds.
    public var tcpResponseInspectDelay: Int?

    /// `balance`, `roundrobin` by default.
    public var balance: BalanceAlgorithm
    /// `hash-type`.
    public var hashType: HashType
    /// `server` lines, in order.
    public var servers: [ServerConfiguration]
    /// `default-server`: the starting point of each server line (also used for servers added at runtime).
    public var defaultServer: ServerParameters

    /// `option forwardfor`.
    public var forwardFor: ForwardForOption?
    /// `option http-keep-alive` / `http-server-close` / `httpclose`.
    public var httpConnectionMode: HTTPConnectionMode
    /// `option redispatch`.
    public var redispatch: Bool
    /// `option allbackups`.
    public var allBackups: Bool
    /// `option dontlognull`.
    public var dontLogNull: Bool
    /// `option log-separate-errors`.
    public var logSeparateErrors: Bool
    /// `option http-buffer-request`.
    public var httpBufferRequest: Bool
    /// `option abortonclose`.
    public var abortOnClose: Bool
    /// `option httplog [clf]`; cleared by a later `log-format` or `option tcplog`.
    public var httpLog: HTTPLogOption?
    /// `option tcplog`; cleared by a later `log-format` or `option httplog`.
    public var tcpLog: Bool
    /// `option httpchk`.
    public var httpCheck: HTTPCheckOption?
    /// `option tcp-check`.
    public var tcpCheck: Bool
    /// `http-check ...` lines, kept raw for the health-check module.
    public var httpCheckRules: [ConfigDirective]
    /// `tcp-check ...` lines, kept raw for the health-check module.
    public var tcpCheckRules: [ConfigDirective]

    /// `log` targets, `log global` replaced by the global targets; empty after `no log`.
    public var logTargets: [LogTarget]
    /// `log-format`; cleared by a later `option httplog` or `option tcplog`.
    public var logFormat: String?
    /// `errorfile <code> <file>`: the raw HTTP responses read at load time, by status code.
    public var errorFiles: [Int: String]
    /// Keywords registered by other modules through ``ConfigExtensionRegistry``, in file order.
    public var extensionDirectives: [ConfigDirective]

    public init(name: String, location: ConfigLocation, capabilities: ProxyCapabilities) {
        self.name = name
        self.location = location
        self.capabilities = capabilities
        self.defaultsName = nil
        self.mode = .tcp
        self.timeouts = ProxyTimeouts()
        self.maxConnections = nil
        self.fullConnections = nil
        self.retries = 3
        self.id = nil
        self.description = nil
        self.isDisabled = false
        self.binds = []
        self.defaultBackend = nil
        self.backendRules = []
        self.acls = []
        self.httpRequestRules = []
        self.httpResponseRules = []
        self.httpAfterResponseRules = []
        self.tcpRequestConnectionRules = []
        self.tcpRequestContentRules = []
        self.tcpResponseContentRules = []
        self.tcpRequestInspectDelay = nil
        self.tcpResponseInspectDelay = nil
        self.balance = .roundRobin
        self.hashType = HashType()
        self.servers = []
        self.defaultServer = ServerParameters()
        self.forwardFor = nil
        self.httpConnectionMode = .keepAlive
        self.redispatch = false
        self.allBackups = false
        self.dontLogNull = false
        self.logSeparateErrors = false
        self.httpBufferRequest = false
        self.abortOnClose = false
        self.httpLog = nil
        self.tcpLog = false
        self.httpCheck = nil
        self.tcpCheck = false
        self.httpCheckRules = []
        self.tcpCheckRules = []
        self.logTargets = []
        self.logFormat = nil
        self.errorFiles = [:]
        self.extensionDirectives = []
    }

    /// The server with this name.
    public func server(named name: String) -> ServerConfiguration? {
        servers.first { $0.name == name }
    }
}
