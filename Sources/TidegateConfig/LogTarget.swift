/// Where and how log lines are sent: one `log` line of the `global` section or of a proxy.
///
/// In proxies, `log global` is already replaced by the targets of the `global` section.
public struct LogTarget: Sendable, Hashable {
    /// Where the lines go.
    public enum Destination: Sendable, Hashable, CustomStringConvertible {
        /// A syslog server over UDP (port 514 unless given).
        case udp(ConfigAddress)
        /// A UNIX datagram socket such as `/dev/log`.
        case unixSocket(path: String)
        /// The process' standard output (`stdout` or `fd@1`).
        case standardOutput
        /// The process' standard error (`stderr` or `fd@2`).
        case standardError
        /// Another inherited file descriptor (`fd@<n>`).
        case fileDescriptor(Int)

        public var description: String {
            switch self {
            case .udp(let address): return address.description
            case .unixSocket(let path): return path
            case .standardOutput: return "stdout"
            case .standardError: return "stderr"
            case .fileDescriptor(let fd): return "fd@\(fd)"
            }
        }
    }

    /// The syslog header style (`format` argument).
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case rfc3164
        case rfc5424
        case raw
        case short
        case priority
        case timed
        case iso
        case local
    }

    /// Where the lines go.
    public var destination: Destination
    /// `len <n>`: the maximum line length (HAProxy's default is 1024).
    public var maximumLength: Int
    /// `format <fmt>`.
    public var format: Format
    /// The syslog facility.
    public var facility: LogFacility
    /// Lines above this severity are not sent (`<max level>`); nil sends everything.
    public var maximumLevel: LogLevel?
    /// `<min level>`: lines more severe than this are sent with this level instead, so that e.g.
    /// emergencies do not reach every terminal of the syslog host.
    public var minimumLevel: LogLevel?
    /// The `log` line that declared the target.
    public var location: ConfigLocation

    public init(
        destination: Destination,
        maximumLength: Int = 1024,
        format: Format = .rfc3164,
        facility: LogFacility,
        maximumLevel: LogLevel? = nil,
        minimumLevel: LogLevel? = nil,
        location: ConfigLocation
    ) {
        self.destination = destination
        self.maximumLength = maximumLength
        self.format = format
        self.facility = facility
        self.maximumLevel = maximumLevel
        self.minimumLevel = minimumLevel
        self.location = location
    }
}
