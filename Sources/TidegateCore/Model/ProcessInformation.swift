#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the runtime API's `show info` and Lua's `core.get_info()` report about the process: HAProxy's info fields
/// that Tidegate knows, in HAProxy's order. The running proxy fills the counters (`ProxyControl`); before it runs
/// (a script's body or init functions) they are 0.
public struct ProcessInformation: Sendable, Equatable {
    /// The product name (`Name`).
    public static let product = "Tidegate"
    /// The version (`Version`, `tidegate -v`).
    public static let version = "0.1.0"

    /// The number of event loops (`Nbthread`).
    public var threads: Int
    /// The global `maxconn` (`Maxconn`, `Hard_maxconn`); 0 when unlimited.
    public var maxConnections: Int
    /// Client connections open now, all frontends together (`CurrConns`).
    public var currentConnections: Int
    /// Client connections accepted since the start (`CumConns`).
    public var totalConnections: Int
    /// Listening addresses of the frontends (`Listeners`).
    public var listeners: Int
    /// Whether a soft or hard stop began (`Stopping`).
    public var stopping: Bool
    /// `node` from the global section (`node`), the host name by default.
    public var node: String?
    /// `description` from the global section.
    public var description: String?

    public init(
        threads: Int, maxConnections: Int = 0, currentConnections: Int = 0, totalConnections: Int = 0,
        listeners: Int = 0, stopping: Bool = false, node: String? = nil, description: String? = nil
    ) {
        self.threads = threads
        self.maxConnections = maxConnections
        self.currentConnections = currentConnections
        self.totalConnections = totalConnections
        self.listeners = listeners
        self.stopping = stopping
        self.node = node
        self.description = description
    }

    /// The fields as `show info` prints them (`Name: value` lines), in HAProxy's order; `now` in seconds since the
    /// epoch.
    public func fields(now: Int64 = Self.currentTime()) -> [(name: String, value: StatsValue)] {
        let uptime = max(0, now - Self.startTime)
        var fields: [(name: String, value: StatsValue)] = [
            ("Name", .string(Self.product)),
            ("Version", .string(Self.version)),
            ("Nbthread", .integer(threads)),
            ("Nbproc", .integer(1)),
            ("Process_num", .integer(1)),
            ("Pid", .integer(Int(getpid()))),
            ("Uptime", .string(Self.formatUptime(uptime))),
            ("Uptime_sec", .integer(Int(uptime))),
            ("Maxconn", .integer(maxConnections)),
            ("Hard_maxconn", .integer(maxConnections)),
            ("CurrConns", .integer(currentConnections)),
            ("CumConns", .integer(totalConnections)),
            ("node", .string(node ?? Self.hostName)),
        ]
        if let description { fields.append(("description", .string(description))) }
        fields.append(("Stopping", .integer(stopping ? 1 : 0)))
        fields.append(("Listeners", .integer(listeners)))
        fields.append(("Start_time_sec", .integer(Int(Self.startTime))))
        return fields
    }

    /// HAProxy's uptime format: `<d>d <h>h<mm>m<ss>s`.
    public static func formatUptime(_ seconds: Int64) -> String {
        func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let (days, hours) = (seconds / 86400, seconds % 86400 / 3600)
        return "\(days)d \(hours)h\(twoDigits(seconds % 3600 / 60))m\(twoDigits(seconds % 60))s"
    }

    // MARK: Process-wide values

    /// When the process started, in seconds since the epoch (fixed by `recordStart()` or the first use).
    public static let startTime: Int64 = currentTime()

    /// Fixes the start time now; call it early in the process's life.
    public static func recordStart() { _ = startTime }

    /// The wall clock, in seconds since the epoch.
    public static func currentTime() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }

    /// The system host name (HAProxy's default `node`).
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}
