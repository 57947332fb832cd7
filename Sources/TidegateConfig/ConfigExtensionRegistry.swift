/// Keywords and actions that other modules (Lua, runtime API, …) declare before a configuration is
/// parsed, so that the parser accepts them instead of reporting unknown keywords.
///
/// Registered actions are parsed into ``HTTPRuleAction/custom(name:arguments:)`` or
/// ``TCPRuleAction/custom(name:arguments:)``; registered services are accepted by `use-service`;
/// registered section keywords are kept raw in ``GlobalSettings/extensionDirectives`` or
/// ``ProxyConfiguration/extensionDirectives``. The owning module validates them afterwards.
///
/// ```swift
/// var extensions = ConfigExtensionRegistry()
/// extensions.registerActionPrefix("lua.", in: .all)
/// extensions.registerServicePrefix("lua.")
/// extensions.registerKeyword("lua-load", in: [.global])
/// let result = ConfigLoader.load(paths: ["tidegate.cfg"], extensions: extensions)
/// ```
public struct ConfigExtensionRegistry: Sendable {
    /// The rule sets an action may be used in.
    public struct RuleSets: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8

        public init(rawValue: UInt8) {
            self.rawValue = rawValue
        }

        public static let httpRequest = RuleSets(rawValue: 1 << 0)
        public static let httpResponse = RuleSets(rawValue: 1 << 1)
        public static let httpAfterResponse = RuleSets(rawValue: 1 << 2)
        public static let tcpRequestConnection = RuleSets(rawValue: 1 << 3)
        public static let tcpRequestContent = RuleSets(rawValue: 1 << 4)
        public static let tcpResponseContent = RuleSets(rawValue: 1 << 5)
        /// Every rule set.
        public static let all: RuleSets = [
            .httpRequest, .httpResponse, .httpAfterResponse, .tcpRequestConnection, .tcpRequestContent,
            .tcpResponseContent,
        ]
    }

    private var actions: [String: RuleSets] = [:]
    private var actionPrefixes: [(prefix: String, ruleSets: RuleSets)] = []
    private var services: Set<String> = []
    private var servicePrefixes: [String] = []
    private var keywords: [String: Set<ConfigSectionKind>] = [:]

    /// An empty registry: only Tidegate's own keywords are accepted.
    public init() {}

    /// Accepts the action `name` (e.g. `lua.auth`) in the given rule sets.
    public mutating func registerAction(_ name: String, in ruleSets: RuleSets) {
        actions[name, default: []].formUnion(ruleSets)
    }

    /// Accepts every action starting with `prefix` (e.g. `lua.`) in the given rule sets.
    public mutating func registerActionPrefix(_ prefix: String, in ruleSets: RuleSets) {
        actionPrefixes.append((prefix, ruleSets))
    }

    /// Accepts `use-service <name>`.
    public mutating func registerService(_ name: String) {
        services.insert(name)
    }

    /// Accepts `use-service <name>` for every name starting with `prefix`.
    public mutating func registerServicePrefix(_ prefix: String) {
        servicePrefixes.append(prefix)
    }

    /// Accepts the section keyword `keyword` (e.g. `lua-load` in `global`) and keeps its lines raw.
    public mutating func registerKeyword(_ keyword: String, in sections: Set<ConfigSectionKind>) {
        keywords[keyword, default: []].formUnion(sections)
    }

    /// Whether `name` is a registered action for `ruleSet`.
    public func isAction(_ name: String, registeredIn ruleSet: RuleSets) -> Bool {
        if let sets = actions[name], sets.isSuperset(of: ruleSet) { return true }
        return actionPrefixes.contains {
            name.hasPrefix($0.prefix) && name.count > $0.prefix.count && $0.ruleSets.isSuperset(of: ruleSet)
        }
    }

    /// Whether `name` is a registered service.
    public func isService(_ name: String) -> Bool {
        services.contains(name) || servicePrefixes.contains { name.hasPrefix($0) && name.count > $0.count }
    }

    /// The sections where `keyword` was registered, or nil when it was not.
    public func sections(forKeyword keyword: String) -> Set<ConfigSectionKind>? {
        keywords[keyword]
    }
}
