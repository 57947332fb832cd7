/// One `bind` line of a frontend or listen: one or more addresses sharing the same parameters.
public struct BindConfiguration: Sendable, Hashable {
    /// The comma-separated addresses of the line, in order.
    public var addresses: [ConfigAddress]
    /// `name <name>`.
    public var name: String?
    /// `backlog <n>`: the listen queue size.
    public var backlog: Int?
    /// `maxconn <n>`: maximum concurrent connections accepted by these listeners.
    public var maxConnections: Int?
    /// `mode <octal>`: permissions of a UNIX socket.
    public var socketMode: Int?
    /// `uid <n>`: owner of a UNIX socket.
    public var uid: Int?
    /// `gid <n>`: group of a UNIX socket.
    public var gid: Int?
    /// `user <name>`: owner of a UNIX socket, by name.
    public var user: String?
    /// `group <name>`: group of a UNIX socket, by name.
    public var group: String?
    /// `v4v6` (true), `v6only` (false), or nil for the system default.
    public var acceptsIPv4OnIPv6: Bool?
    /// The `bind` line.
    public var location: ConfigLocation

    public init(
        addresses: [ConfigAddress],
        name: String? = nil,
        backlog: Int? = nil,
        maxConnections: Int? = nil,
        socketMode: Int? = nil,
        uid: Int? = nil,
        gid: Int? = nil,
        user: String? = nil,
        group: String? = nil,
        acceptsIPv4OnIPv6: Bool? = nil,
        location: ConfigLocation
    ) {
        self.addresses = addresses
        self.name = name
        self.backlog = backlog
        self.maxConnections = maxConnections
        self.socketMode = socketMode
        self.uid = uid
        self.gid = gid
        self.user = user
        self.group = group
        self.acceptsIPv4OnIPv6 = acceptsIPv4OnIPv6
        self.location = location
    }
}
