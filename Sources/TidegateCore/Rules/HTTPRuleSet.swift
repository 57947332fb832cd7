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
    /// An action is waiting (Lua sleep, I/O, forced yield): call `apply(in:from:)` again with this rule index
    /// once the context's `wake` is called.
    case suspend(resumeAt: Int)
    /// Close the client connection without an answer.
    case abort
    /// Hand the stream to this service (`use-service`).
    case useService(any ExternalService)
}

/// The compiled `http-request`, `http-response` or `http-after-response` rules of one proxy,
/// evaluated in order against the head held by a `SampleContext`.
public struct HTTPRuleSet: Sendable {
    public let rules: [HTTPRuleProgram]
    /// Which rule set this is (what Lua actions are told).
    public let facility: RuleFacility

    public init(rules: [HTTPRuleProgram] = [], facility: RuleFacility = .httpRequest) {
        self.rules = rules
        self.facility = facility
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// Compiles configuration rules; errors carry the rule's location.
    public static func compile(
        _ rules: [HTTPRule], acls: ACLSet, environment: SampleCompileEnvironment = .standard,
        facility: RuleFacility = .httpRequest
    ) -> Result<HTTPRuleSet, ConfigDiagnostic> {
        var programs: [HTTPRuleProgram] = []
        for rule in rules {
            switch HTTPRuleProgram.compile(rule, acls: acls, environment: environment, facility: facility) {
            case .success(let program): programs.append(program)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(HTTPRuleSet(rules: programs, facility: facility))
    }

    /// Applies the rules to the context's current head (request or response, per `context.direction`).
    /// Starts at rule `start`. With `resuming`, that rule is the one that suspended: its condition is not evaluated
    /// again and its action resumes where it stopped.
    public func apply(in context: SampleContext, from start: Int = 0, resuming: Bool = false) -> RuleVerdict {
        var index = start
        var skipCondition = resuming
        while index < rules.count {
            let rule = rules[index]
            if skipCondition {
                skipCondition = false
            } else if let condition = rule.condition, !condition.evaluate(in: context) {
                index += 1
                continue
            }
            switch rule.execute(in: context, facility: facility) {
            case .next: index += 1
            case .stop: return .proceed
            case .respond(let response): return .respond(response)
            case .suspend: return .suspend(resumeAt: index)
            case .abort: return .abort
            case .service(let service): return .useService(service)
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
