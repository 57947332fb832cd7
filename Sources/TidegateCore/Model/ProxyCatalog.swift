import Synchronization
import TidegateConfig

/// Every frontend, backend and listen section of the running configuration, in declaration order: what the Lua
/// API lists in `core.proxies`, `core.frontends` and `core.backends`. Built before the scripts load (they see it
/// in their body); the proxy attaches its `ProxyControl` once it runs.
public final class ProxyCatalog: Sendable {
    public let proxies: [ProxyDescriptor]
    private let installedControl = Mutex<(any ProxyControl)?>(nil)

    public init(proxies: [ProxyDescriptor]) {
        self.proxies = proxies
    }

    /// The running proxy's control; nil before it started (load and init time).
    public var control: (any ProxyControl)? { installedControl.withLock { $0 } }

    public func attach(_ control: any ProxyControl) {
        installedControl.withLock { $0 = control }
    }

    /// HAProxy's automatic proxy ids: an explicit `id` is kept, the others take the next unused number from 1, in
    /// declaration order.
    public static func assignUUIDs(_ explicit: [Int?]) -> [Int] {
        var used = Set(explicit.compactMap { $0 })
        var next = 1
        return explicit.map { id in
            if let id { return id }
            while used.contains(next) { next += 1 }
            used.insert(next)
            return next
        }
    }
}
