import NIOCore
import TidegateConfig
import TidegateCore

/// `option forwardfor`: which header carries the client address, and when to skip it.
public struct ForwardFor: Sendable {
    public var headerName: String
    public var ifNone: Bool
    /// Client networks for which no header is added (`except`).
    public var except: [(address: [UInt8], prefix: Int)]

    public init(headerName: String = "X-Forwarded-For", ifNone: Bool = false, except: [(address: [UInt8], prefix: Int)] = []) {
        self.headerName = headerName
        self.ifNone = ifNone
        self.except = except
    }
}

/// Everything a stream needs to know about the backend serving it. Immutable after startup and
/// shared by every event loop; per-loop state (balancer positions, idle pools) is in `LoopContext`.
public final class BackendRuntime: Sendable {
    /// Identifies the configuration section; a `listen` section's frontend and backend share it.
    public let proxyID: Int
    public let backend: Backend
    public let mode: ProxyMode
    public let timeouts: StreamTimeouts
    /// Connection attempts after the first one fails.
    public let retries: Int
    /// `option redispatch`: retry on another server.
    public let redispatch: Bool
    public let forwardFor: ForwardFor?
    public let connectionMode: HTTPConnectionMode
    public let rules: ProxyRules
    public let errorPages: ErrorPages

    public init(
        proxyID: Int, backend: Backend, mode: ProxyMode, timeouts: StreamTimeouts, retries: Int, redispatch: Bool,
        forwardFor: ForwardFor?, connectionMode: HTTPConnectionMode, rules: ProxyRules,
        errorPages: ErrorPages
    ) {
        self.proxyID = proxyID
        self.backend = backend
        self.mode = mode
        self.timeouts = timeouts
        self.retries = retries
        self.redispatch = redispatch
        self.forwardFor = forwardFor
        self.connectionMode = connectionMode
        self.rules = rules
        self.errorPages = errorPages
    }

    public var name: String { backend.name }
}
