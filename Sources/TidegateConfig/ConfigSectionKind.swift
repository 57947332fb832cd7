/// The kinds of configuration sections Tidegate understands.
public enum ConfigSectionKind: String, Sendable, Hashable, CaseIterable {
    case global
    case defaults
    case frontend
    case backend
    case listen

    /// The capabilities a proxy section has (empty for `global` and `defaults`).
    var capabilities: ProxyCapabilities {
        switch self {
        case .global, .defaults: return []
        case .frontend: return .frontend
        case .backend: return .backend
        case .listen: return .listen
        }
    }

    /// The capability name HAProxy uses in "has no … capability" messages.
    static func capabilityName(_ capabilities: ProxyCapabilities) -> String {
        capabilities.contains(.frontend) ? "frontend" : "backend"
    }
}
