import NIOCore
import TidegateConfig
import TidegateHTTP

/// A response produced by the proxy itself (rules, errors).
public enum LocalResponse: Sendable {
    /// The error page of a status (custom `errorfile` or built-in).
    case error(Int)
    /// Exact bytes; `close` ends the client connection afterwards.
    case raw(status: Int, ByteBuffer, close: Bool)
}

/// What evaluating a rule set decided.
public enum RuleVerdict: Sendable {
    /// Go on (the message may have been edited).
    case proceed
    /// Answer with this response instead of going on.
    case respond(LocalResponse)
}

/// The compiled `http-request`, `http-response` or `http-after-response` rules of one proxy,
/// evaluated in order against the head held by a `SampleContext`.
public struct HTTPRuleSet: Sendable {
    public let rules: [HTTPRuleProgram]

    public init(rules: [HTTPRuleProgram] = []) { self.rules = rules }

    public var isEmpty: Bool { rules.isEmpty }

    /// Compiles configuration rules; errors carry the rule's location.
    public static func compile(
        _ rules: [HTTPRule], acls: ACLSet, environment: SampleCompileEnvironment = .standard
    ) -> Result<HTTPRuleSet, ConfigDiagnostic> {
        var programs: [HTTPRuleProgram] = []
        for rule in rules {
            switch HTTPRuleProgram.compile(rule, acls: acls, environment: environment) {
            case .success(let program): programs.append(program)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(HTTPRuleSet(rules: programs))
    }

    /// Applies the rules to the context's current head (request or response, per `context.direction`).
    public func apply(in context: SampleContext) -> RuleVerdict {
        for rule in rules {
            if let condition = rule.condition, !condition.evaluate(in: context) { continue }
            switch rule.execute(in: context) {
            case .next: continue
            case .stop: return .proceed
            case .respond(let response): return .respond(response)
            }
        }
        return .proceed
    }
}

extension Condition {
    /// Compiles a rule's optional `if`/`unless` condition.
    static func compile(
        _ condition: RuleCondition?, acls: ACLSet, environment: SampleCompileEnvironment
    ) throws(SampleCompileError) -> Condition? {
        guard let condition else { return nil }
        return try Condition(condition, acls: acls, environment: environment)
    }
}
