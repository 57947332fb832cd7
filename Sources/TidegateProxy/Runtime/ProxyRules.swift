import NIOCore
import TidegateCore
import TidegateHTTP

/// What a rule set decided about a message.
public enum RuleVerdict: Sendable {
    case proceed
    case respond(LocalResponse)
}

/// The compiled rules of one proxy section: backend switching and HTTP rules.
public final class ProxyRules: Sendable {
    public init() {}

    func applyHTTPRequest(to head: inout HTTPHead, stream: StreamContext) -> RuleVerdict { .proceed }
    func applyHTTPResponse(to head: inout HTTPHead, stream: StreamContext) -> RuleVerdict { .proceed }
    func selectBackend(stream: StreamContext, default fallback: BackendRuntime?) -> BackendRuntime? { fallback }
}
