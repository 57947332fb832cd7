import TidegateConfig

/// A compiled `tcp-request` / `tcp-response` rule: its action and optional condition. Rules are evaluated in
/// order by `TCPRuleSet`.
public struct TCPRuleProgram: Sendable {
    enum Action: Sendable {
        case accept, reject
        case setVariable(VariableName, SampleExpression, [HTTPRuleAction.VariableSetCondition])
        case setVariableFormat(VariableName, LogFormat, [HTTPRuleAction.VariableSetCondition])
        case unsetVariable(VariableName)
        /// `lua.<name>`: an action implemented outside the core.
        case external(any ExternalRuleAction)
        /// `use-service <name>` (`tcp-request content` in TCP mode).
        case service(any ExternalService)
    }

    let action: Action
    let condition: Condition?
    public let location: ConfigLocation

    /// Compiles a rule of the `facility` rule set. `allowsServices` is false where `use-service` cannot run
    /// (`tcp-request content` of an HTTP proxy).
    public static func compile(
        _ rule: TCPRule, acls: ACLSet, environment: SampleCompileEnvironment = .standard,
        facility: RuleFacility = .tcpRequest, allowsServices: Bool = true
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
                guard allowsServices, facility == .tcpRequest else {
                    throw SampleCompileError(
                        .invalidArgument,
                        "'tcp-request content use-service \(name)' is only supported in mode tcp "
                            + "(use 'http-request use-service' in mode http)")
                }
                guard let resolver = environment.externalRules else {
                    throw SampleCompileError(
                        .invalidArgument, "'use-service \(name)': no Lua script is loaded (lua-load)")
                }
                let service = try resolver.service(name)
                guard service.mode == .tcp else {
                    throw SampleCompileError(
                        .invalidArgument, "'use-service \(name)': an HTTP service cannot be used in tcp-request rules")
                }
                action = .service(service)
            case .custom(let name, let arguments):
                guard let resolver = environment.externalRules else {
                    throw SampleCompileError(.invalidArgument, "action '\(name)': no Lua script is loaded (lua-load)")
                }
                action = .external(try resolver.action(name, arguments, facility))
            }
            return .success(TCPRuleProgram(action: action, condition: condition, location: rule.location))
        } catch {
            return .failure(.alert("\(error)", at: rule.location))
        }
    }
}
