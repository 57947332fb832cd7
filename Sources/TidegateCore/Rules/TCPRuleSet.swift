import TidegateConfig

/// What evaluating a TCP rule set decided (HAProxy's `tcp_inspect_request` / `tcp_inspect_response` outcomes).
public enum TCPRuleVerdict: Sendable {
    /// Go on: an `accept` rule, an action returning `act.STOP` or `act.DONE`, or no rule decided.
    case accept
    /// Close the connection: `reject`, `act.DENY`, `act.INVALID`.
    case reject
    /// Close the connection on an internal error: `act.ERROR`, or an action still waiting when it may not.
    case error
    /// Close the connection: `act.ABORT`, `txn:done()`.
    case abort
    /// A condition needs more data (a miss): evaluate the rules again from the first one when data arrives or when
    /// the inspection becomes final.
    case wait
    /// An action is waiting (Lua sleep, I/O, channel data): apply again from `resumeAt` with `resuming` once the
    /// context's `wake` is called.
    case suspend(resumeAt: Int)
    /// Hand the stream to this service (`use-service`).
    case useService(any ExternalService)
}

/// The compiled `tcp-request connection`, `tcp-request content` or `tcp-response content` rules of one proxy.
public struct TCPRuleSet: Sendable {
    public let rules: [TCPRuleProgram]
    /// Which rule set this is (what Lua actions are told).
    public let facility: RuleFacility

    public init(rules: [TCPRuleProgram] = [], facility: RuleFacility = .tcpRequest) {
        self.rules = rules
        self.facility = facility
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// Evaluates the rules in order, from rule `start`; with `resuming`, that rule is the one that suspended (its
    /// condition is not evaluated again and its action resumes).
    ///
    /// While `context.contentFinal` is false, more data may come: a condition that cannot decide yet gives `.wait`.
    /// With `final`, actions may not wait any longer (no inspect-delay, or it expired): one that still does is an
    /// internal error.
    public func apply(
        in context: SampleContext, from start: Int = 0, resuming: Bool = false, final: Bool = true
    ) -> TCPRuleVerdict {
        let partial = !context.contentFinal
        var index = start
        var skipCondition = resuming
        while index < rules.count {
            let rule = rules[index]
            if skipCondition {
                skipCondition = false
            } else if let condition = rule.condition {
                if partial {
                    switch condition.inspect(in: context) {
                    case .pass: break
                    case .fail:
                        index += 1
                        continue
                    case .miss: return .wait
                    }
                } else if !condition.evaluate(in: context) {
                    index += 1
                    continue
                }
            }
            switch rule.action {
            case .accept: return .accept
            case .reject: return .reject
            case .setVariable(let name, let expression, let conditions):
                if let value = expression.evaluate(in: context),
                    HTTPRuleProgram.variableConditionsHold(conditions, name: name, newValue: value, context: context)
                {
                    context.setVariable(name, to: value.detached())
                }
            case .setVariableFormat(let name, let format, let conditions):
                let value = Sample.string(format.render(in: context))
                if HTTPRuleProgram.variableConditionsHold(conditions, name: name, newValue: value, context: context) {
                    context.setVariable(name, to: value)
                }
            case .unsetVariable(let name):
                context.setVariable(name, to: nil)
            case .service(let service):
                return .useService(service)
            case .external(let external):
                switch external.execute(in: context, facility: facility, final: final) {
                case .continue: break
                case .stop: return .accept
                case .respond(.error(500)): return .error
                case .respond: return .reject
                case .abort: return .abort
                case .suspend: return final ? .error : .suspend(resumeAt: index)
                }
            }
            index += 1
        }
        return .accept
    }
}
