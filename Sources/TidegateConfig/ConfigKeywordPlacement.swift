/// Where a proxy keyword may appear, following HAProxy's proxy keywords matrix.
///
/// When a keyword is used in a proxy that lacks the needed capability, HAProxy ignores some keywords
/// with a warning (`warnOnly`: timeouts, log options, …) and rejects the others (`bind`, `server`, …).
/// In a `defaults` section a misplaced keyword is always an alert.
struct ConfigKeywordPlacement: Sendable {
    var allowed: Set<ConfigSectionKind>
    var warnOnly: Bool

    init(_ allowed: Set<ConfigSectionKind>, warnOnly: Bool = false) {
        self.allowed = allowed
        self.warnOnly = warnOnly
    }

    static let everywhere = ConfigKeywordPlacement([.defaults, .frontend, .listen, .backend])
    static let frontendSide = ConfigKeywordPlacement([.defaults, .frontend, .listen], warnOnly: true)
    static let backendSide = ConfigKeywordPlacement([.defaults, .listen, .backend], warnOnly: true)

    /// Top-level proxy keywords. `timeout`, `option`, `no`, `tcp-request` and `tcp-response` are placed by
    /// their second word.
    static let proxyKeywords: [String: ConfigKeywordPlacement] = [
        "acl": ConfigKeywordPlacement([.frontend, .listen, .backend]),
        "balance": .backendSide,
        "bind": ConfigKeywordPlacement([.frontend, .listen]),
        "default-server": ConfigKeywordPlacement([.defaults, .listen, .backend]),
        "default_backend": ConfigKeywordPlacement([.defaults, .frontend, .listen]),
        "description": ConfigKeywordPlacement([.frontend, .listen, .backend]),
        "disabled": .everywhere,
        "enabled": .everywhere,
        "errorfile": .everywhere,
        "fullconn": .backendSide,
        "hash-type": .backendSide,
        "http-after-response": .everywhere,
        "http-check": .backendSide,
        "http-request": .everywhere,
        "http-response": .everywhere,
        "id": ConfigKeywordPlacement([.frontend, .listen, .backend]),
        "log": .everywhere,
        "log-format": .frontendSide,
        "maxconn": .frontendSide,
        "mode": .everywhere,
        "no": .everywhere,
        "option": .everywhere,
        "retries": .backendSide,
        "server": ConfigKeywordPlacement([.listen, .backend]),
        "tcp-check": .backendSide,
        "tcp-request": .everywhere,
        "tcp-response": .everywhere,
        "timeout": .everywhere,
        "use_backend": ConfigKeywordPlacement([.frontend, .listen]),
    ]

    /// `timeout <name>`.
    static let timeouts: [String: ConfigKeywordPlacement] = [
        "check": .backendSide,
        "client": .frontendSide,
        "client-fin": .frontendSide,
        "connect": .backendSide,
        "http-keep-alive": .everywhere,
        "http-request": .everywhere,
        "queue": .backendSide,
        "server": .backendSide,
        "server-fin": .backendSide,
        "tunnel": .backendSide,
    ]

    /// `option <name>`.
    static let options: [String: ConfigKeywordPlacement] = [
        "abortonclose": .backendSide,
        "allbackups": .backendSide,
        "dontlognull": .frontendSide,
        "forwardfor": .everywhere,
        "http-buffer-request": .everywhere,
        "http-keep-alive": .everywhere,
        "http-server-close": .everywhere,
        "httpchk": .backendSide,
        "httpclose": .everywhere,
        "httplog": .frontendSide,
        "log-separate-errors": .frontendSide,
        "redispatch": .backendSide,
        "tcp-check": .backendSide,
        "tcplog": .frontendSide,
    ]

    /// `tcp-request <kind>` and `tcp-response <kind>`.
    static let tcpRuleKinds: [String: ConfigKeywordPlacement] = [
        "tcp-request connection": ConfigKeywordPlacement([.frontend, .listen]),
        "tcp-request content": .everywhere,
        "tcp-request inspect-delay": .everywhere,
        "tcp-response content": ConfigKeywordPlacement([.defaults, .listen, .backend]),
        "tcp-response inspect-delay": ConfigKeywordPlacement([.defaults, .listen, .backend]),
    ]
}
