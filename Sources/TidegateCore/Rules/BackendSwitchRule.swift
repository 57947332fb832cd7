import TidegateConfig

/// A compiled `use_backend` rule: the backend name (fixed or a log-format) and its condition.
public struct BackendSwitchRule: Sendable {
    public enum Target: Sendable {
        case named(String)
        case dynamic(LogFormat)
    }

    public let target: Target
    let condition: Condition?
    public let location: ConfigLocation

    public static func compile(
        _ rule: UseBackendRule, acls: ACLSet, environment: SampleCompileEnvironment = .standard
    ) -> Result<BackendSwitchRule, ConfigDiagnostic> {
        do throws(SampleCompileError) {
            let condition = try Condition.compile(rule.condition, acls: acls, environment: environment)
            let target: Target =
                rule.isDynamic ? .dynamic(try LogFormat(rule.backend, options: .plain, environment: environment)) : .named(rule.backend)
            return .success(BackendSwitchRule(target: target, condition: condition, location: rule.location))
        } catch {
            return .failure(.alert("\(error)", at: rule.location))
        }
    }

    /// The backend name this rule selects for the context, or nil when its condition does not hold.
    public func select(in context: SampleContext) -> String? {
        if let condition, !condition.evaluate(in: context) { return nil }
        switch target {
        case .named(let name): return name
        case .dynamic(let format): return format.render(in: context)
        }
    }
}

/// A compiled `tcp-request` / `tcp-response` rule.
public struct TCPRuleProgram: Sendable {
    public enum Decision: Sendable {
        case next
        case accept
        case reject
    }

    enum Action: Sendable {
        case accept, reject
        case setVariable(VariableName, SampleExpression, [HTTPRuleAction.VariableSetCondition])
        case setVariableFormat(VariableName, LogFormat, [HTTPRuleAction.VariableSetCondition])
        case unsetVariable(VariableName)
    }

    let action: Action
    let condition: Condition?
    public let location: ConfigLocation

    public static func compile(
        _ rule: TCPRule, acls: ACLSet, environment: SampleCompileEnvironment = .standard
    ) -> Result<TCPRuleProgram, ConfigDiagnostic> {
        do throws(SampleCompileError) {
            let condition = try Condition.compile(rule.condition, acls: acls, environment: environment)
            let action: Action
            switch rule.action {
            case .accept: action = .accept
            case .reject: action = .reject
            case .setVariable(let name, let words, let conditions):
                action = .setVariable(
                    name, try SampleExpression(words.joined(separator: " "), environment: environment), conditions)
            case .setVariableFormat(let name, let format, let conditions):
                action = .setVariableFormat(
                    name, try LogFormat(format, options: .plain, environment: environment), conditions)
            case .unsetVariable(let name): action = .unsetVariable(name)
            case .useService(let name):
                throw SampleCompileError(.invalidArgument, "'tcp-request content use-service \(name)' is not supported yet: TCP services cannot be started yet")
            case .custom(let name, _):
                throw SampleCompileError(.invalidArgument, "action '\(name)' is not supported in tcp-request/tcp-response rules yet (Lua actions run in http-request, http-response and http-after-response rules)")
            }
            return .success(TCPRuleProgram(action: action, condition: condition, location: rule.location))
        } catch {
            return .failure(.alert("\(error)", at: rule.location))
        }
    }

    /// Evaluates a list of rules in order: the first accept or reject decides.
    public static func evaluate(_ rules: [TCPRuleProgram], in context: SampleContext) -> Decision {
        for rule in rules {
            if let condition = rule.condition, !condition.evaluate(in: context) { continue }
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
            }
        }
        return .next
    }
}
