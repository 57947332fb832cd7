/// What a proxy does: accept connections (frontend), forward them to servers (backend), or both (listen).
public struct ProxyCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Accepts client connections through `bind` lines.
    public static let frontend = ProxyCapabilities(rawValue: 1 << 0)
    /// Holds servers and a load-balancing algorithm.
    public static let backend = ProxyCapabilities(rawValue: 1 << 1)
    /// A `listen` section: both.
    public static let listen: ProxyCapabilities = [.frontend, .backend]
}
