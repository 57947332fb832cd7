import TidegateConfig

/// A compiled `if`/`unless` condition: ACL names (`!` negates the next one), implicitly AND-ed,
/// with `||` or `or` between alternatives, and anonymous ACLs in `{ ... }`.
public struct Condition: Sendable {
    final class Term: Sendable {
        let acl: ACL
        let expressions: [ACLExpression]
        let negated: Bool

        init(acl: ACL, negated: Bool) {
            self.acl = acl
            self.expressions = acl.expressions
            self.negated = negated
        }

        /// Whether the term holds: some test of the ACL matches, unless negated.
        @inline(__always)
        func holds(in context: SampleContext) -> Bool {
            var index = 0
            while index < expressions.count {
                if expressions[index].storage.matches(in: context) { return !negated }
                index += 1
            }
            return negated
        }

        /// `holds` in three-valued logic (see `Condition.inspect`).
        func inspect(in context: SampleContext) -> Inspection {
            var result = Inspection.fail
            for expression in expressions {
                context.sampleMayChange = false
                let matched = expression.storage.matches(in: context)
                let mayChange = context.sampleMayChange && !context.contentFinal
                context.sampleMayChange = false
                if matched {
                    result = .pass
                    break
                }
                if mayChange { result = .miss }
            }
            switch result {
            case .pass: return negated ? .fail : .pass
            case .fail: return negated ? .pass : .fail
            case .miss: return .miss
            }
        }
    }

    /// The alternatives (OR), each a list of terms (AND).
    let alternatives: [[Term]]
    /// Whether the condition was written with `unless`.
    public let isUnless: Bool
    /// Warnings from anonymous ACLs.
    public let warnings: [String]

    /// Compiles the words after `if` (or after `unless` when `unless` is true).
    public init(
        words: [String], unless: Bool = false, acls: ACLSet, environment: SampleCompileEnvironment = .standard
    ) throws(SampleCompileError) {
        guard !words.isEmpty else {
            throw SampleCompileError(.syntax, "'\(unless ? "unless" : "if")' expects a condition")
        }
        var alternatives: [[Term]] = []
        var current: [Term] = []
        var negate = false
        var warnings: [String] = []
        var index = 0
        while index < words.count {
            var word = Substring(words[index])
            // Exclamation marks may be glued to the ACL name (`!is_api`), as HAProxy allows.
            while word.first == "!" {
                negate.toggle()
                word = word.dropFirst()
            }
            switch word {
            case "":
                break
            case "||", "or":
                guard !current.isEmpty, !negate else {
                    throw SampleCompileError(.syntax, "missing ACL before '\(word)' in condition")
                }
                alternatives.append(current)
                current = []
            case "{":
                guard let close = words[(index + 1)...].firstIndex(of: "}") else {
                    throw SampleCompileError(.syntax, "missing closing '}' in condition")
                }
                let inner = Array(words[(index + 1)..<close])
                guard !inner.isEmpty else {
                    throw SampleCompileError(.syntax, "empty anonymous ACL '{ }' in condition")
                }
                let expression = try ACLExpression(words: inner, environment: environment)
                warnings += expression.warnings
                let name = "{ " + inner.joined(separator: " ") + " }"
                current.append(Term(acl: ACL(name: name, expressions: [expression]), negated: negate))
                negate = false
                index = close
            case "}":
                throw SampleCompileError(.syntax, "unexpected '}' in condition")
            default:
                guard let acl = acls.acl(named: String(word)) else {
                    throw SampleCompileError(.unknownACL, "unknown ACL '\(word)' in condition")
                }
                current.append(Term(acl: acl, negated: negate))
                negate = false
            }
            index += 1
        }
        guard !current.isEmpty, !negate else {
            throw SampleCompileError(.syntax, "missing ACL after '\(words.last!)' in condition")
        }
        alternatives.append(current)
        self.alternatives = alternatives
        self.isUnless = unless
        self.warnings = warnings
    }

    /// Compiles the words after `if` or `unless`.
    public init(
        polarity: RuleCondition.Polarity, words: [String], acls: ACLSet,
        environment: SampleCompileEnvironment = .standard
    ) throws(SampleCompileError) {
        try self.init(words: words, unless: polarity == .unless, acls: acls, environment: environment)
    }

    /// Compiles a rule condition read by the configuration parser.
    public init(
        _ condition: RuleCondition, acls: ACLSet, environment: SampleCompileEnvironment = .standard
    ) throws(SampleCompileError) {
        try self.init(
            words: condition.words, unless: condition.polarity == .unless, acls: acls, environment: environment)
    }

    /// Whether the rule applies: the condition's value, inverted for `unless`.
    public func evaluate(in context: SampleContext) -> Bool {
        var result = false
        var alternative = 0
        while alternative < alternatives.count {
            var all = true
            var index = 0
            let terms = alternatives[alternative]
            while index < terms.count {
                if !terms[index].holds(in: context) {
                    all = false
                    break
                }
                index += 1
            }
            if all {
                result = true
                break
            }
            alternative += 1
        }
        return result != isUnless
    }

    /// The result of a condition on content that may still grow (HAProxy's `acl_exec_cond` with a partial
    /// buffer).
    public enum Inspection: Sendable {
        /// The rule applies.
        case pass
        /// The rule does not apply.
        case fail
        /// Undecided: a test failed on a sample that may change with more data (`ACL_TEST_MISS`).
        case miss
    }

    /// Evaluates the condition in HAProxy's three-valued logic: a test that does not match a sample marked
    /// `sampleMayChange` (while `context.contentFinal` is false) is a miss; AND keeps a fail over a miss, OR keeps a
    /// pass over a miss; `!` and `unless` leave a miss as it is. Used by content inspection only; `evaluate` is the
    /// plain two-valued form.
    public func inspect(in context: SampleContext) -> Inspection {
        var result = Inspection.fail
        for terms in alternatives {
            var suite = Inspection.pass
            for term in terms {
                let value = term.inspect(in: context)
                if value == .fail {
                    suite = .fail
                    break
                }
                if value == .miss { suite = .miss }
            }
            if suite == .pass { return isUnless ? .fail : .pass }
            if suite == .miss { result = .miss }
        }
        if result == .miss { return .miss }
        return isUnless ? .pass : .fail
    }

    /// What the ACLs need from the stream.
    public var requirements: SampleRequirements {
        alternatives.reduce(into: []) { set, terms in
            for term in terms { set.formUnion(term.acl.requirements) }
        }
    }

    /// The names of the ACLs used (anonymous ones as their text).
    public var aclNames: [String] {
        alternatives.flatMap { $0.map(\.acl.name) }
    }
}
