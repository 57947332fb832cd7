import Synchronization

/// One listening address of a frontend (each address of a `bind` line, each port of a range): HAProxy's
/// listener, as its stats and the Lua `Listener` class show it. Shared by every event loop.
public final class Listener: Sendable {
    public let frontendName: String
    /// HAProxy's `luid`: the 1-based position among the frontend's listeners.
    public let id: Int
    /// The `bind` line's `name`, or HAProxy's default `sock-<n>` (n counting the unnamed listeners).
    public let name: String
    /// The address as listened on (`ip:port`, `unix@path`, `fd@n`).
    public let addressText: String
    private let current = Atomic<Int>(0)
    private let total = Atomic<Int>(0)

    public init(frontendName: String, id: Int, name: String, addressText: String) {
        self.frontendName = frontendName
        self.id = id
        self.name = name
        self.addressText = addressText
    }

    /// Client connections accepted on this listener and still open.
    public var currentConnections: Int { current.load(ordering: .relaxed) }
    /// Client connections ever accepted on this listener.
    public var totalConnections: Int { total.load(ordering: .relaxed) }

    public func connectionOpened() {
        current.wrappingAdd(1, ordering: .relaxed)
        total.wrappingAdd(1, ordering: .relaxed)
    }

    public func connectionClosed() { current.wrappingSubtract(1, ordering: .relaxed) }
}
