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
