/// A `use_backend <name> [if|unless <cond>]` line of a frontend or listen.
public struct UseBackendRule: Sendable, Hashable {
    /// The backend name, or a log-format string when ``isDynamic``.
    public var backend: String
    /// True when ``backend`` contains `%` and must be evaluated per request (`use_backend %[var(txn.be)]`);
    /// such names are not checked at load time.
    public var isDynamic: Bool
    /// The optional condition.
    public var condition: RuleCondition?
    /// The `use_backend` line.
    public var location: ConfigLocation

    public init(backend: String, isDynamic: Bool, condition: RuleCondition?, location: ConfigLocation) {
        self.backend = backend
        self.isDynamic = isDynamic
        self.condition = condition
        self.location = location
    }
}
