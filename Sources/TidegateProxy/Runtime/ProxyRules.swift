import NIOCore
import TidegateConfig
import TidegateCore
import TidegateHTTP

/// The compiled rules of one proxy section: layer-4 rules, HTTP rules and backend switching.
public final class ProxyRules: Sendable {
    public let tcpConnection: TCPRuleSet
    public let tcpContent: TCPRuleSet
    public let tcpResponseContent: TCPRuleSet
    /// `tcp-request inspect-delay` / `tcp-response inspect-delay` (nil: none, rules are evaluated once, final).
    public let tcpRequestInspectDelay: TimeAmount?
    public let tcpResponseInspectDelay: TimeAmount?
    public let httpRequest: HTTPRuleSet
    public let httpResponse: HTTPRuleSet
    public let httpAfterResponse: HTTPRuleSet
    public let backendSwitching: [BackendSwitchRule]
    /// Backends by name, for `use_backend`.
    let backends: BackendTable

    public init(
        tcpConnection: TCPRuleSet = TCPRuleSet(), tcpContent: TCPRuleSet = TCPRuleSet(),
        tcpResponseContent: TCPRuleSet = TCPRuleSet(facility: .tcpResponse), tcpRequestInspectDelay: TimeAmount? = nil,
        tcpResponseInspectDelay: TimeAmount? = nil, httpRequest: HTTPRuleSet = HTTPRuleSet(),
        httpResponse: HTTPRuleSet = HTTPRuleSet(), httpAfterResponse: HTTPRuleSet = HTTPRuleSet(),
        backendSwitching: [BackendSwitchRule] = [], backends: BackendTable = BackendTable()
    ) {
        self.tcpConnection = tcpConnection
        self.tcpContent = tcpContent
        self.tcpResponseContent = tcpResponseContent
        self.tcpRequestInspectDelay = tcpRequestInspectDelay
        self.tcpResponseInspectDelay = tcpResponseInspectDelay
        self.httpRequest = httpRequest
        self.httpResponse = httpResponse
        self.httpAfterResponse = httpAfterResponse
        self.backendSwitching = backendSwitching
        self.backends = backends
    }

    func applyHTTPRequest(stream: StreamContext, from start: Int = 0, resuming: Bool = false) -> RuleVerdict {
        guard !httpRequest.isEmpty else { return .proceed }
        stream.samples.direction = .request
        return httpRequest.apply(in: stream.samples, from: start, resuming: resuming)
    }

    func applyHTTPResponse(stream: StreamContext, from start: Int = 0, resuming: Bool = false) -> RuleVerdict {
        guard !httpResponse.isEmpty else { return .proceed }
        stream.samples.direction = .response
        return httpResponse.apply(in: stream.samples, from: start, resuming: resuming)
    }

    /// `http-after-response` rules: run on the final response after `http-response`; a response
    /// they would produce is ignored (HAProxy only allows header and status edits there).
    func applyHTTPAfterResponse(stream: StreamContext) {
        guard !httpAfterResponse.isEmpty else { return }
        stream.samples.direction = .response
        _ = httpAfterResponse.apply(in: stream.samples)
    }

    /// The backend chosen by the first matching `use_backend`, else `fallback`.
    func selectBackend(stream: StreamContext, default fallback: BackendRuntime?) -> BackendRuntime? {
        for rule in backendSwitching {
            if let name = rule.select(in: stream.samples), let backend = backends.byName[name] { return backend }
        }
        return fallback
    }

    /// Layer-4 rules at accept time (`tcp-request connection`): false means reject.
    func acceptConnection(stream: StreamContext) -> Bool {
        guard !tcpConnection.isEmpty else { return true }
        return Self.accepts(tcpConnection.apply(in: stream.samples))
    }

    /// `tcp-request content` rules evaluated at once and for good (HTTP mode, on each request): false means
    /// close. Actions cannot wait there (a Lua action that yields fails, and the next rule runs).
    func acceptContent(stream: StreamContext) -> Bool {
        guard !tcpContent.isEmpty else { return true }
        return Self.accepts(tcpContent.apply(in: stream.samples))
    }

    private static func accepts(_ verdict: TCPRuleVerdict) -> Bool {
        switch verdict {
        case .accept, .wait, .useService: return true
        case .reject, .error, .abort, .suspend: return false
        }
    }
}

/// Backends by name. Filled once by `RuntimeBuilder` before any stream starts, read-only after:
/// a `listen` section's rules refer to backends that are built after those rules.
public final class BackendTable: @unchecked Sendable {
    private(set) var byName: [String: BackendRuntime] = [:]

    public init() {}

    func fill(_ backends: [BackendRuntime]) {
        for backend in backends { byName[backend.name] = backend }
    }
}
