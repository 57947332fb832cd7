/// One `tcp-request connection`, `tcp-request content` or `tcp-response content` line.
public struct TCPRule: Sendable, Hashable {
    /// What the rule does.
    public var action: TCPRuleAction
    /// The optional `if`/`unless` condition.
    public var condition: RuleCondition?
    /// The line of the rule.
    public var location: ConfigLocation

    public init(action: TCPRuleAction, condition: RuleCondition? = nil, location: ConfigLocation) {
        self.action = action
        self.condition = condition
        self.location = location
    }
}
