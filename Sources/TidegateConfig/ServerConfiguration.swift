/// One `server` line of a backend or listen.
///
/// The settings shared with `default-server` are in ``parameters`` and readable directly through
/// dynamic member lookup (`server.weight`, `server.healthCheck`).
@dynamicMemberLookup
public struct ServerConfiguration: Sendable, Hashable {
    /// The server name, unique within its backend.
    public var name: String
    /// The address as written: IP literal or host name (not resolved), or a UNIX socket.
    public var address: ConfigAddress
    /// `id <n>`: the numeric identifier, unique within the backend; nil lets the runtime assign one.
    public var id: Int?
    /// The settings, `default-server` values included.
    public var parameters: ServerParameters
    /// The `server` line.
    public var location: ConfigLocation

    public init(
        name: String,
        address: ConfigAddress,
        id: Int? = nil,
        parameters: ServerParameters = ServerParameters(),
        location: ConfigLocation
    ) {
        self.name = name
        self.address = address
        self.id = id
        self.parameters = parameters
        self.location = location
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<ServerParameters, Value>) -> Value {
        parameters[keyPath: keyPath]
    }
}
