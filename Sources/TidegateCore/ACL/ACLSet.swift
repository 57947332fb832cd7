/// The named ACLs of one proxy section. Several `acl` lines with the same name add tests that are
/// OR-ed; names not defined here fall back to the predefined ACLs.
public struct ACLSet: Sendable {
    private var acls: [String: ACL] = [:]
    private var order: [String] = []

    public init() {}

    /// Compiles one `acl <name> <words...>` line and adds it. Returns warnings to print.
    @discardableResult
    public mutating func define(
        name: String, words: [String], environment: SampleCompileEnvironment = .standard
    ) throws(SampleCompileError) -> [String] {
        let expression = try ACLExpression(words: words, environment: environment)
        add(name: name, expression: expression)
        return expression.warnings
    }

    /// Adds a compiled test under `name`.
    public mutating func add(name: String, expression: ACLExpression) {
        if acls[name] == nil {
            acls[name] = ACL(name: name, expressions: [expression])
            order.append(name)
        } else {
            acls[name]!.expressions.append(expression)
        }
    }

    /// The ACL named `name`: defined here, else predefined.
    public func acl(named name: String) -> ACL? {
        acls[name] ?? ACL.predefined[name]
    }

    /// The names defined in this set, in definition order.
    public var names: [String] { order }
}
