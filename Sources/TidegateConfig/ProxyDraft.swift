/// A proxy or defaults section while it is being parsed: the public model plus what is only needed until
/// resolution (unresolved `log global`, where references were written).
struct ProxyDraft: Sendable {
    /// One `log` line before `log global` is expanded.
    enum LogEntry: Sendable {
        case global(ConfigLocation)
        case target(LogTarget)
    }

    var kind: ConfigSectionKind
    var config: ProxyConfiguration
    var logEntries: [LogEntry] = []
    var defaultBackendLocation: ConfigLocation?
    var idLocation: ConfigLocation?

    init(kind: ConfigSectionKind, name: String, location: ConfigLocation) {
        self.kind = kind
        self.config = ProxyConfiguration(name: name, location: location, capabilities: kind.capabilities)
    }

    /// A new section starting from this defaults section's settings.
    func inherited(kind: ConfigSectionKind, name: String, location: ConfigLocation, defaultsName: String) -> ProxyDraft
    {
        var draft = self
        draft.kind = kind
        draft.config.name = name
        draft.config.location = location
        draft.config.capabilities = kind.capabilities
        draft.config.defaultsName = defaultsName
        draft.config.binds = []
        draft.config.servers = []
        draft.config.acls = []
        draft.config.backendRules = []
        draft.config.id = nil
        draft.config.description = nil
        draft.idLocation = nil
        return draft
    }
}
