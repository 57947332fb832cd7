import Synchronization
import TidegateConfig

/// A `frontend`, `backend` or `listen` section as the Lua API sees it (HAProxy's `Proxy` class): identity,
/// servers, listeners, and the state `pause()`/`resume()`/`stop()` put it in. Shared by every event loop.
public final class ProxyDescriptor: Sendable {
    /// Whether the proxy accepts connections.
    public enum RunState: UInt8, Sendable {
        case ready = 0
        /// `pause()`: listeners do not accept until `resume()`.
        case paused = 1
        /// `stop()`: listeners closed for good.
        case stopped = 2
    }

    /// HAProxy's `uuid`: the section's `id`, or the next free number from 1 in declaration order.
    public let uuid: Int
    /// Whether `uuid` was set with `id` in the configuration (HAProxy's `bk_f_forced_id`).
    public let hasForcedID: Bool
    public let name: String
    public let capabilities: ProxyCapabilities
    public let mode: ProxyMode
    /// The servers and balancing of a backend or listen section.
    public let backend: Backend?
    /// The listeners of a frontend or listen section, in `bind` order.
    public let listeners: [Listener]
    /// The frontend's `maxconn` (0: none).
    public let maxConnections: Int
    private let state = Atomic<UInt8>(RunState.ready.rawValue)

    public init(
        uuid: Int, name: String, capabilities: ProxyCapabilities, mode: ProxyMode, backend: Backend?,
        listeners: [Listener], maxConnections: Int, hasForcedID: Bool = false
    ) {
        self.uuid = uuid
        self.hasForcedID = hasForcedID
        self.name = name
        self.capabilities = capabilities
        self.mode = mode
        self.backend = backend
        self.listeners = listeners
        self.maxConnections = maxConnections
    }

    public var isFrontend: Bool { capabilities.contains(.frontend) }
    public var isBackend: Bool { capabilities.contains(.backend) }

    public var runState: RunState { RunState(rawValue: state.load(ordering: .relaxed)) ?? .ready }

    /// Records a state change; a stopped proxy stays stopped. Returns whether the state changed.
    @discardableResult
    public func setRunState(_ newState: RunState) -> Bool {
        var value = state.load(ordering: .relaxed)
        while value != newState.rawValue, value != RunState.stopped.rawValue {
            let (exchanged, original) = state.compareExchange(
                expected: value, desired: newState.rawValue, ordering: .relaxed)
            if exchanged { return true }
            value = original
        }
        return false
    }
}
