/// The time zone local dates (`%t`, `%tr`, `%Tl`, `%trl`) are rendered in.
public enum LogTimeZone: Sendable, Hashable {
    /// The process's local time zone (`localtime_r`), as HAProxy.
    case local
    /// A fixed offset from UTC in seconds (tests, or forcing UTC with 0).
    case fixed(offsetSeconds: Int)

    func offset(at epochSeconds: Int64) -> Int {
        switch self {
        case .local: CivilTime.localOffset(at: epochSeconds)
        case .fixed(let offset): offset
        }
    }
}
