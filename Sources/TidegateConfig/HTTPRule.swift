/// One `http-request`, `http-response` or `http-after-response` line.
public struct HTTPRule: Sendable, Hashable {
    /// What the rule does.
    public var action: HTTPRuleAction
    /// The optional `if`/`unless` condition.
    public var condition: RuleCondition?
    /// The line of the rule.
    public var location: ConfigLocation

    public init(action: HTTPRuleAction, condition: RuleCondition? = nil, location: ConfigLocation) {
        self.action = action
        self.condition = condition
        self.location = location
    }
}
