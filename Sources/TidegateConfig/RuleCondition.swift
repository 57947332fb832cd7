/// The `if <cond>` / `unless <cond>` part of a rule, kept as words for the ACL compiler.
public struct RuleCondition: Sendable, Hashable {
    /// Whether the rule applies when the condition matches (`if`) or when it does not (`unless`).
    public enum Polarity: String, Sendable, Hashable {
        case `if`
        case unless
    }

    /// `if` or `unless`.
    public var polarity: Polarity
    /// The condition's words: ACL names, `!`, `||`, `or`, anonymous ACLs in braces, as written.
    public var words: [String]
    /// The line of the rule.
    public var location: ConfigLocation

    public init(polarity: Polarity, words: [String], location: ConfigLocation) {
        self.polarity = polarity
        self.words = words
        self.location = location
    }
}
