/// What a `tcp-request connection`, `tcp-request content` or `tcp-response content` rule does.
public enum TCPRuleAction: Sendable, Hashable {
    /// `accept`: stop evaluating rules of this set and continue.
    case accept
    /// `reject`: close the connection.
    case reject
    /// `set-var(<var>[,<cond>...]) <expr>` (content rules).
    case setVariable(VariableName, expression: [String], conditions: [HTTPRuleAction.VariableSetCondition])
    /// `set-var-fmt(<var>[,<cond>...]) <fmt>` (content rules).
    case setVariableFormat(VariableName, format: String, conditions: [HTTPRuleAction.VariableSetCondition])
    /// `unset-var(<var>)` (content rules).
    case unsetVariable(VariableName)
    /// `use-service <name>` (`tcp-request content`).
    case useService(name: String)
    /// An action registered by another module (e.g. `lua.check`), with its arguments as written.
    case custom(name: String, arguments: [String])
}
