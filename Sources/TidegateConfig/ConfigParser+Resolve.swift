/// The checks and substitutions that need the whole configuration: `log global`, backend references,
/// proxy ids.
extension ConfigParser {
    /// Closes the last section, resolves references and returns the configuration (also when alerts
    /// were reported; the loader decides).
    mutating func finish() -> Configuration {
        closeSection()
        var backends: [String: ProxyDraft] = [:]
        for draft in proxies where draft.config.capabilities.contains(.backend) {
            backends[draft.config.name] = draft
        }
        var ids: [Int: ProxyDraft] = [:]
        var resolved: [ProxyConfiguration] = []
        for draft in proxies {
            var config = draft.config
            config.logTargets = draft.logEntries.flatMap { entry -> [LogTarget] in
                switch entry {
                case .global: return global.logTargets
                case .target(let target): return [target]
                }
            }
            if let id = config.id {
                if let previous = ids[id] {
                    let declared = previous.idLocation ?? previous.config.location
                    alert(
                        "\(draft.kind.rawValue) '\(config.name)' : id \(id) is already used by "
                            + "\(previous.kind.rawValue) '\(previous.config.name)' (declared at \(declared)).",
                        at: draft.idLocation ?? config.location
                    )
                } else {
                    ids[id] = draft
                }
            }
            if config.capabilities.contains(.frontend) {
                checkBackendReferences(draft, backends: backends)
                if config.binds.isEmpty {
                    warning(
                        "\(draft.kind.rawValue) '\(config.name)' has no 'bind' directive. Please declare it as a "
                            + "backend if this was intended.",
                        at: config.location
                    )
                }
            }
            if config.mode == .tcp
                && !(config.httpRequestRules.isEmpty && config.httpResponseRules.isEmpty
                    && config.httpAfterResponseRules.isEmpty)
            {
                warning(
                    "\(draft.kind.rawValue) '\(config.name)' : 'http-request', 'http-response' and "
                        + "'http-after-response' rules are ignored in 'mode tcp'.",
                    at: config.location
                )
            }
            resolved.append(config)
        }
        return Configuration(global: global, proxies: resolved, files: files)
    }

    private mutating func checkBackendReferences(_ draft: ProxyDraft, backends: [String: ProxyDraft]) {
        let config = draft.config
        var references: [(keyword: String, name: String, location: ConfigLocation)] = []
        if let name = config.defaultBackend {
            references.append(("default_backend", name, draft.defaultBackendLocation ?? config.location))
        }
        for rule in config.backendRules where !rule.isDynamic {
            references.append(("use_backend", rule.backend, rule.location))
        }
        for reference in references {
            guard let backend = backends[reference.name] else {
                let ending = KeywordSuggestion.ending(for: reference.name, in: backends.keys)
                alert(
                    "\(draft.kind.rawValue) '\(config.name)' : unable to find required \(reference.keyword) "
                        + "'\(reference.name)'\(ending)",
                    at: reference.location
                )
                continue
            }
            if config.mode == .http && backend.config.mode == .tcp {
                alert(
                    "\(draft.kind.rawValue) '\(config.name)' : unable to use \(backend.kind.rawValue) "
                        + "'\(reference.name)' with wrong mode, required: http, has: tcp.",
                    at: reference.location
                )
            }
        }
    }
}
