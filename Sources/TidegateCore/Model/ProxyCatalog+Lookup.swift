/// Finding sections and servers the way HAProxy's runtime API names them: by name, or by numeric id prefixed with
/// `#` (`#2`, `#2/#1`).
extension ProxyCatalog {
    /// The backend (or listen section) named `name`, or whose uuid is `#<id>`.
    public func backend(named name: String) -> ProxyDescriptor? {
        if let id = Self.numericID(name) { return proxies.first { $0.isBackend && $0.uuid == id } }
        return proxies.first { $0.isBackend && $0.name == name }
    }

    /// The frontend (or listen section) named `name`, or whose uuid is `#<id>`.
    public func frontend(named name: String) -> ProxyDescriptor? {
        if let id = Self.numericID(name) { return proxies.first { $0.isFrontend && $0.uuid == id } }
        return proxies.first { $0.isFrontend && $0.name == name }
    }

    /// `#<n>` → n.
    static func numericID(_ text: String) -> Int? {
        guard text.first == "#" else { return nil }
        return Int(text.dropFirst())
    }
}

extension Backend {
    /// The server named `name`, or whose id is `#<id>`.
    public func server(identifiedBy name: String) -> Server? {
        if let id = ProxyCatalog.numericID(name) { return servers.first { $0.id == id } }
        return server(named: name)
    }
}
