/// The privilege of a runtime API connection: the `level` of a `stats socket` line (HAProxy's three levels, default
/// `operator`). A command needing a higher level answers "Permission denied".
public enum CLIAccessLevel: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Read-only commands that reveal nothing sensitive (`show info`, `show stat`, `get weight`...).
    case user = 1
    /// Also the commands that read or change maps and ACLs.
    case `operator` = 2
    /// Every command, including those that change servers.
    case admin = 3

    /// The configuration keyword.
    public var description: String {
        switch self {
        case .user: "user"
        case .operator: "operator"
        case .admin: "admin"
        }
    }

    /// Parses `user`, `operator` or `admin`.
    public init?(keyword: String) {
        guard let level = Self.allCases.first(where: { $0.description == keyword }) else { return nil }
        self = level
    }

    public static func < (lhs: CLIAccessLevel, rhs: CLIAccessLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
