/// A fully parsed and resolved configuration: what ``ConfigLoader`` produces when there is no alert.
///
/// Defaults sections are already applied to the proxies that inherit from them and `log global` is
/// replaced by the global targets; references between proxies have been checked.
public struct Configuration: Sendable, Equatable {
    /// The `global` section(s).
    public var global: GlobalSettings
    /// Frontends, backends and listens, in file order (defaults sections are not listed).
    public var proxies: [ProxyConfiguration]
    /// The files that were read, in order.
    public var files: [String]

    public init(global: GlobalSettings = GlobalSettings(), proxies: [ProxyConfiguration] = [], files: [String] = []) {
        self.global = global
        self.proxies = proxies
        self.files = files
    }

    /// Proxies with the frontend capability (frontends and listens).
    public var frontends: [ProxyConfiguration] { proxies.filter { $0.capabilities.contains(.frontend) } }

    /// Proxies with the backend capability (backends and listens).
    public var backends: [ProxyConfiguration] { proxies.filter { $0.capabilities.contains(.backend) } }

    /// The frontend (or listen) with this name.
    public func frontend(named name: String) -> ProxyConfiguration? {
        proxies.first { $0.name == name && $0.capabilities.contains(.frontend) }
    }

    /// The backend (or listen) with this name.
    public func backend(named name: String) -> ProxyConfiguration? {
        proxies.first { $0.name == name && $0.capabilities.contains(.backend) }
    }
}
