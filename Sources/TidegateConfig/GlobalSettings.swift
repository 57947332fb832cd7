/// The process-wide settings of the `global` section(s). Several `global` sections are merged.
public struct GlobalSettings: Sendable, Equatable {
    /// `nbthread`: number of event loops; nil lets the runtime choose (number of cores).
    public var threadCount: Int?
    /// `maxconn`: process-wide maximum of concurrent connections; nil when not set.
    public var maxConnections: Int?
    /// `daemon`: detach from the terminal.
    public var daemon: Bool
    /// `pidfile`.
    public var pidFile: String?
    /// `log` lines, in order.
    public var logTargets: [LogTarget]
    /// `tune.bufsize`, in bytes.
    public var bufferSize: Int
    /// `tune.http.maxhdr`: maximum number of headers in a message.
    public var maxHeaderCount: Int
    /// `tune.maxrewrite`, in bytes: reserve kept in buffers for header rewriting.
    public var maxRewrite: Int
    /// `user`: the user name to switch to.
    public var user: String?
    /// `group`: the group name to switch to.
    public var group: String?
    /// `uid`: the numeric user id to switch to.
    public var uid: Int?
    /// `gid`: the numeric group id to switch to.
    public var gid: Int?
    /// `chroot`: the directory to chroot into.
    public var chroot: String?
    /// `quiet`: do not display messages during startup.
    public var quiet: Bool
    /// `description`: the text shown on the stats page.
    public var description: String?
    /// `node`: the node name shown on the stats page and in logs.
    public var node: String?
    /// `hard-stop-after`, in milliseconds: maximum time a soft stop may last.
    public var hardStopAfter: Int?
    /// `grace`, in milliseconds: delay between a stop signal and the closing of listeners.
    public var grace: Int?
    /// `stats socket` lines: where the runtime API listens, in file order.
    public var statsSockets: [StatsSocketConfiguration]
    /// `stats timeout`, in milliseconds: how long a runtime API connection may stay idle (default 10 s).
    public var statsTimeout: Int
    /// Keywords registered by other modules through ``ConfigExtensionRegistry``, in file order.
    public var extensionDirectives: [ConfigDirective]

    /// HAProxy's defaults.
    public init(
        threadCount: Int? = nil,
        maxConnections: Int? = nil,
        daemon: Bool = false,
        pidFile: String? = nil,
        logTargets: [LogTarget] = [],
        bufferSize: Int = 16384,
        maxHeaderCount: Int = 101,
        maxRewrite: Int = 1024,
        user: String? = nil,
        group: String? = nil,
        uid: Int? = nil,
        gid: Int? = nil,
        chroot: String? = nil,
        quiet: Bool = false,
        description: String? = nil,
        node: String? = nil,
        hardStopAfter: Int? = nil,
        grace: Int? = nil,
        statsSockets: [StatsSocketConfiguration] = [],
        statsTimeout: Int = 10_000,
        extensionDirectives: [ConfigDirective] = []
    ) {
        self.threadCount = threadCount
        self.maxConnections = maxConnections
        self.daemon = daemon
        self.pidFile = pidFile
        self.logTargets = logTargets
        self.bufferSize = bufferSize
        self.maxHeaderCount = maxHeaderCount
        self.maxRewrite = maxRewrite
        self.user = user
        self.group = group
        self.uid = uid
        self.gid = gid
        self.chroot = chroot
        self.quiet = quiet
        self.description = description
        self.node = node
        self.hardStopAfter = hardStopAfter
        self.grace = grace
        self.statsSockets = statsSockets
        self.statsTimeout = statsTimeout
        self.extensionDirectives = extensionDirectives
    }
}
