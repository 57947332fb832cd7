/// One line of HAProxy's proxy statistics (`show stat`, and the tables of Lua's `get_stats()`): a frontend, a
/// backend, a server or a listener, with the fields Tidegate counts, by HAProxy's field name. A field Tidegate does
/// not know is absent (an empty CSV field, nil in Lua).
public struct StatsLine: Sendable, Equatable {
    /// HAProxy's `type` field.
    public enum Kind: Int, Sendable {
        case frontend = 0, backend = 1, server = 2, listener = 3
    }

    public let kind: Kind
    /// The fields by name (`pxname`, `scur`...).
    public private(set) var fields: [String: StatsValue]

    /// A line with the identity fields every kind has: `pxname`, `svname`, `mode`, `pid`, `iid`, `sid`, `type`.
    init(kind: Kind, proxy: ProxyDescriptor, name: String, id: Int) {
        self.kind = kind
        self.fields = [
            "pxname": .string(proxy.name), "svname": .string(name), "mode": .string(proxy.mode.rawValue),
            "pid": .integer(1), "iid": .integer(proxy.uuid), "sid": .integer(id), "type": .integer(kind.rawValue),
        ]
    }

    public subscript(field: String) -> StatsValue? {
        get { fields[field] }
        set { fields[field] = newValue }
    }

    /// The static fields of HAProxy's CSV output (`show stat`), in HAProxy's order (doc/management.txt, 9.1): tools
    /// that read columns by position find the fields where HAProxy puts them.
    public static let columns: [String] = [
        "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout", "dreq", "dresp", "ereq",
        "econ", "eresp", "wretr", "wredis", "status", "weight", "act", "bck", "chkfail", "chkdown", "lastchg",
        "downtime", "qlimit", "pid", "iid", "sid", "throttle", "lbtot", "tracked", "type", "rate", "rate_lim",
        "rate_max", "check_status", "check_code", "check_duration", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx",
        "hrsp_5xx", "hrsp_other", "hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt", "srv_abrt",
        "comp_in", "comp_out", "comp_byp", "comp_rsp", "lastsess", "last_chk", "last_agt", "qtime", "ctime", "rtime",
        "ttime", "agent_status", "agent_code", "agent_duration", "check_desc", "agent_desc", "check_rise",
        "check_fall", "check_health", "agent_rise", "agent_fall", "agent_health", "addr", "cookie", "mode", "algo",
        "conn_rate", "conn_rate_max", "conn_tot", "intercepted", "dcon", "dses", "wrew", "connect", "reuse",
        "cache_lookups", "cache_hits", "srv_icur", "src_ilim", "qtime_max", "ctime_max", "rtime_max", "ttime_max",
        "eint", "idle_conn_cur", "safe_conn_cur", "used_conn_cur", "need_conn_est", "uweight",
    ]
}
