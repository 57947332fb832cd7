/// The settings of a `server` line that `default-server` may also set.
///
/// A backend's ``ProxyConfiguration/defaultServer`` starts every following server; a server line then
/// overrides what it names. Times are in milliseconds.
public struct ServerParameters: Sendable, Hashable {
    /// What to do when passive observation sees too many errors (`on-error`).
    public enum OnErrorAction: String, Sendable, Hashable, CaseIterable {
        case fastInterval = "fastinter"
        case failCheck = "fail-check"
        case suddenDeath = "sudden-death"
        case markDown = "mark-down"
    }

    /// Which layer passive observation watches (`observe`).
    public enum ObserveMode: String, Sendable, Hashable, CaseIterable {
        case layer4
        case layer7
    }

    /// `weight` (0-256), 1 by default.
    public var weight: Int
    /// `maxconn`: maximum concurrent connections to the server; nil for unlimited.
    public var maxConnections: Int?
    /// `minconn`: dynamic limit lower bound, used with the backend's `fullconn`.
    public var minConnections: Int?
    /// `backup`: only used when no non-backup server is available.
    public var isBackup: Bool
    /// `disabled` (true) / `enabled` (false): starts in maintenance mode.
    public var isDisabled: Bool
    /// `check`: active health checks enabled.
    public var healthCheck: Bool
    /// `inter`: interval between checks, 2000 ms by default.
    public var checkInterval: Int
    /// `fastinter`: interval while a server is changing state; nil means `inter`.
    public var fastInterval: Int?
    /// `downinter`: interval while a server is down; nil means `inter`.
    public var downInterval: Int?
    /// `rise`: consecutive successes to be considered up, 2 by default.
    public var rise: Int
    /// `fall`: consecutive failures to be considered down, 3 by default.
    public var fall: Int
    /// `port`: the port health checks use instead of the server's.
    public var checkPort: Int?
    /// `addr`: the address health checks use instead of the server's.
    public var checkAddress: String?
    /// `slowstart`: time to ramp a recovered server's weight up to full.
    public var slowStart: Int?
    /// `observe`: passive health observation.
    public var observe: ObserveMode?
    /// `error-limit`: consecutive errors that trigger `on-error`, 10 by default.
    public var errorLimit: Int
    /// `on-error`, `fail-check` by default.
    public var onError: OnErrorAction
    /// `agent-check`: agent checks enabled.
    public var agentCheck: Bool
    /// `agent-port`.
    public var agentPort: Int?
    /// `agent-inter`: interval between agent checks; nil means `inter`.
    public var agentInterval: Int?

    /// HAProxy's defaults.
    public init(
        weight: Int = 1,
        maxConnections: Int? = nil,
        minConnections: Int? = nil,
        isBackup: Bool = false,
        isDisabled: Bool = false,
        healthCheck: Bool = false,
        checkInterval: Int = 2000,
        fastInterval: Int? = nil,
        downInterval: Int? = nil,
        rise: Int = 2,
        fall: Int = 3,
        checkPort: Int? = nil,
        checkAddress: String? = nil,
        slowStart: Int? = nil,
        observe: ObserveMode? = nil,
        errorLimit: Int = 10,
        onError: OnErrorAction = .failCheck,
        agentCheck: Bool = false,
        agentPort: Int? = nil,
        agentInterval: Int? = nil
    ) {
        self.weight = weight
        self.maxConnections = maxConnections
        self.minConnections = minConnections
        self.isBackup = isBackup
        self.isDisabled = isDisabled
        self.healthCheck = healthCheck
        self.checkInterval = checkInterval
        self.fastInterval = fastInterval
        self.downInterval = downInterval
        self.rise = rise
        self.fall = fall
        self.checkPort = checkPort
        self.checkAddress = checkAddress
        self.slowStart = slowStart
        self.observe = observe
        self.errorLimit = errorLimit
        self.onError = onError
        self.agentCheck = agentCheck
        self.agentPort = agentPort
        self.agentInterval = agentInterval
    }
}
