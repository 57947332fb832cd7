/// Syslog facilities, with their numeric codes.
public enum LogFacility: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case kern = 0
    case user, mail, daemon, auth, syslog, lpr, news, uucp, cron, auth2, ftp, ntp, audit, alert, cron2
    case local0, local1, local2, local3, local4, local5, local6, local7

    private static let keywords = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp", "ntp",
        "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ]

    /// The keyword used in configuration files.
    public var keyword: String { Self.keywords[rawValue] }

    /// Parses a configuration keyword.
    public init?(keyword: String) {
        guard let facility = LogFacility.allCases.first(where: { $0.keyword == keyword }) else { return nil }
        self = facility
    }

    public var description: String { keyword }
}
