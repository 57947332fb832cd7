/// Syslog severities, most severe first (`emerg` = 0 … `debug` = 7).
public enum LogLevel: Int, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case emergency = 0
    case alert = 1
    case critical = 2
    case error = 3
    case warning = 4
    case notice = 5
    case info = 6
    case debug = 7

    /// The keyword used in configuration files and syslog (`emerg`, `alert`, `crit`, `err`, …).
    public var keyword: String {
        switch self {
        case .emergency: return "emerg"
        case .alert: return "alert"
        case .critical: return "crit"
        case .error: return "err"
        case .warning: return "warning"
        case .notice: return "notice"
        case .info: return "info"
        case .debug: return "debug"
        }
    }

    /// Parses a configuration keyword.
    public init?(keyword: String) {
        guard let level = LogLevel.allCases.first(where: { $0.keyword == keyword }) else { return nil }
        self = level
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { keyword }
}
