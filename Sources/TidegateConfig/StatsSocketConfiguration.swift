/// One `stats socket` line of the `global` section: where the runtime API listens and with which privilege.
///
/// ```
/// stats socket /run/tidegate/admin.sock mode 660 level admin
/// stats socket ipv4@127.0.0.1:9999 level user
/// ```
public struct StatsSocketConfiguration: Sendable, Equatable {
    /// A UNIX stream socket path, or a TCP address with its port.
    public var address: ConfigAddress
    /// `mode <octal>`: the permissions of the socket file (UNIX sockets only).
    public var mode: Int?
    /// `level user|operator|admin` (HAProxy's default: operator).
    public var level: CLIAccessLevel
    /// `user`, `group`, `uid`, `gid`: accepted, without effect (the socket file keeps the process's owner).
    public var user: String?
    public var group: String?
    public var uid: Int?
    public var gid: Int?
    /// The line that declared the socket.
    public var location: ConfigLocation

    public init(
        address: ConfigAddress, mode: Int? = nil, level: CLIAccessLevel = .operator, user: String? = nil,
        group: String? = nil, uid: Int? = nil, gid: Int? = nil, location: ConfigLocation
    ) {
        self.address = address
        self.mode = mode
        self.level = level
        self.user = user
        self.group = group
        self.uid = uid
        self.gid = gid
        self.location = location
    }
}
