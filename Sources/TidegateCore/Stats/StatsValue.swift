/// A value of HAProxy's statistics and info fields, which are typed as numbers or strings (`show stat`,
/// `show info`, Lua's `get_stats()` and `core.get_info()`).
public enum StatsValue: Sendable, Hashable, CustomStringConvertible {
    case integer(Int)
    case string(String)

    public var description: String {
        switch self {
        case .integer(let value): String(value)
        case .string(let text): text
        }
    }
}
