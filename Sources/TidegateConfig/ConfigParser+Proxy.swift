/// `defaults`, `frontend`, `backend` and `listen` keywords.
extension ConfigParser {
    /// Checks that a keyword may be used in the draft's section; reports and returns false otherwise.
    mutating func checkPlacement(
        _ placement: ConfigKeywordPlacement,
        keyword: String,
        draft: ProxyDraft,
        at location: ConfigLocation
    ) -> Bool {
        guard !placement.allowed.contains(draft.kind) else { return true }
        if placement.warnOnly && draft.kind != .defaults {
            let missing = draft.kind == .backend ? "frontend" : "backend"
            warning(
                "'\(keyword)' ignored because \(draft.kind.rawValue) '\(draft.config.name)' has no \(missing) "
                    + "capability.",
                at: location
            )
        } else {
            alert("'\(keyword)' not allowed in '\(draft.kind.rawValue)' section.", at: location)
        }
        return false
    }

    mutating func parseProxyLine(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let keyword = directive.keyword
        let location = directive.location
        guard let placement = ConfigKeywordPlacement.proxyKeywords[keyword] else {
            if let sections = extensions.sections(forKeyword: keyword), sections.contains(draft.kind) {
                draft.config.extensionDirectives.append(directive)
                return
            }
            if extensions.sections(forKeyword: keyword) != nil {
                alert("'\(keyword)' not allowed in '\(draft.kind.rawValue)' section.", at: location)
                return
            }
            var candidates = Array(ConfigKeywordPlacement.proxyKeywords.keys)
            candidates.append(contentsOf: ConfigSectionKind.allCases.map(\.rawValue))
            candidates.append(contentsOf: Self.unsupportedSections)
            let ending = KeywordSuggestion.ending(for: keyword, in: candidates)
            alert("unknown keyword '\(keyword)' in '\(draft.kind.rawValue)' section\(ending)", at: location)
            return
        }
        guard checkPlacement(placement, keyword: keyword, draft: draft, at: location) else { return }
        let arguments = directive.arguments
        switch keyword {
        case "mode":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            switch arguments.first! {
            case "http": draft.config.mode = .http
            case "tcp": draft.config.mode = .tcp
            case "health", "log", "spop":
                alert("'mode' : mode '\(arguments.first!)' is not supported (expects 'http' or 'tcp').", at: location)
            default:
                alert("'mode' : unknown proxy mode '\(arguments.first!)' (expects 'http' or 'tcp').", at: location)
            }
        case "maxconn":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = integer(arguments.first!, keyword: keyword, at: location) {
                draft.config.maxConnections = value
            }
        case "fullconn":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = integer(arguments.first!, keyword: keyword, at: location) {
                draft.config.fullConnections = value
            }
        case "retries":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = integer(arguments.first!, keyword: keyword, at: location) { draft.config.retries = value }
        case "id":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = integer(arguments.first!, keyword: keyword, in: 1...Int(Int32.max), at: location) {
                draft.config.id = value
                draft.idLocation = location
            }
        case "description":
            guard expect(arguments, countIn: 1...Int.max, keyword: keyword, at: location) else { return }
            draft.config.description = arguments.joined(separator: " ")
        case "disabled":
            if expect(arguments, count: 0, keyword: keyword, at: location) { draft.config.isDisabled = true }
        case "enabled":
            if expect(arguments, count: 0, keyword: keyword, at: location) { draft.config.isDisabled = false }
        case "bind":
            parseBind(directive, into: &draft)
        case "timeout":
            parseTimeout(directive, into: &draft)
        case "default_backend":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            draft.config.defaultBackend = arguments.first
            draft.defaultBackendLocation = location
        case "use_backend":
            parseUseBackend(directive, into: &draft)
        case "acl":
            parseACL(directive, into: &draft)
        case "http-request":
            if let rule = parseHTTPRule(directive, ruleSet: .request) { draft.config.httpRequestRules.append(rule) }
        case "http-response":
            if let rule = parseHTTPRule(directive, ruleSet: .response) { draft.config.httpResponseRules.append(rule) }
        case "http-after-response":
            if let rule = parseHTTPRule(directive, ruleSet: .afterResponse) {
                draft.config.httpAfterResponseRules.append(rule)
            }
        case "tcp-request", "tcp-response":
            parseTCPRuleLine(directive, into: &draft)
        case "balance":
            if let balance = parseBalance(directive) { draft.config.balance = balance }
        case "hash-type":
            if let hashType = parseHashType(directive) { draft.config.hashType = hashType }
        case "server":
            parseServer(directive, into: &draft)
        case "default-server":
            parseDefaultServer(directive, into: &draft)
        case "option":
            parseOption(directive, negated: false, into: &draft)
        case "no":
            parseNegation(directive, into: &draft)
        case "http-check":
            guard expect(arguments, countIn: 1...Int.max, keyword: keyword, at: location) else { return }
            draft.config.httpCheckRules.append(directive)
        case "tcp-check":
            guard expect(arguments, countIn: 1...Int.max, keyword: keyword, at: location) else { return }
            draft.config.tcpCheckRules.append(directive)
        case "log":
            if arguments.first == "global" {
                guard expect(arguments.dropFirst(), count: 0, keyword: "log global", at: location) else { return }
                draft.logEntries.append(.global(location))
            } else if let target = parseLogTarget(directive) {
                draft.logEntries.append(.target(target))
            }
        case "log-format":
            parseLogFormat(directive, into: &draft)
        case "errorfile":
            parseErrorFile(directive, into: &draft)
        default:
            alert("unknown keyword '\(keyword)' in '\(draft.kind.rawValue)' section.", at: location)
        }
    }

    private mutating func parseTimeout(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let location = directive.location
        guard let name = directive.arguments.first else {
            alert(
                "'timeout' expects a timeout name (\(ProxyTimeouts.names.joined(separator: ", "))) and a time.",
                at: location
            )
            return
        }
        guard let placement = ConfigKeywordPlacement.timeouts[name], let keyPath = ProxyTimeouts.keyPath(for: name)
        else {
            let ending = KeywordSuggestion.ending(for: name, in: ProxyTimeouts.names)
            alert(
                "'timeout' : unknown timeout '\(name)' (expects one of "
                    + "\(ProxyTimeouts.names.joined(separator: ", ")))\(ending)",
                at: location
            )
            return
        }
        let keyword = "timeout \(name)"
        guard checkPlacement(placement, keyword: keyword, draft: draft, at: location) else { return }
        let arguments = directive.arguments.dropFirst()
        guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
        if let value = milliseconds(arguments.first!, keyword: keyword, at: location) {
            draft.config.timeouts[keyPath: keyPath] = value
        }
    }

    private mutating func parseUseBackend(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let location = directive.location
        let (arguments, condition, valid) = splitCondition(directive.arguments, keyword: "use_backend", at: location)
        guard valid else { return }
        guard expect(arguments, count: 1, keyword: "use_backend", at: location) else { return }
        let name = arguments.first!
        draft.config.backendRules.append(
            UseBackendRule(backend: name, isDynamic: name.contains("%"), condition: condition, location: location)
        )
    }

    private mutating func parseACL(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let location = directive.location
        let arguments = Array(directive.arguments)
        guard arguments.count >= 2 else {
            alert("'acl' expects a name and a criterion.", at: location)
            return
        }
        let name = arguments[0]
        if let bad = Self.invalidNameCharacter(name) {
            alert("'acl' : character '\(bad)' is not permitted in ACL name '\(name)'.", at: location)
            return
        }
        draft.config.acls.append(ACLDefinition(name: name, words: Array(arguments[1...]), location: location))
    }

    private mutating func parseLogFormat(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let location = directive.location
        let arguments = directive.arguments
        guard !arguments.isEmpty else {
            alert("'log-format' expects a format string.", at: location)
            return
        }
        if arguments.count > 1 {
            warning(
                "'log-format' : \(arguments.count) words were joined with single spaces; quote the format or escape "
                    + "its spaces.",
                at: location
            )
        }
        draft.config.logFormat = arguments.joined(separator: " ")
        draft.config.httpLog = nil
        draft.config.tcpLog = false
    }

    static let customizableStatusCodes: [Int] = [
        200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504,
    ]

    private mutating func parseErrorFile(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let location = directive.location
        let arguments = Array(directive.arguments)
        guard expect(arguments[...], count: 2, keyword: "errorfile", at: location) else { return }
        guard let code = Int(arguments[0]), Self.customizableStatusCodes.contains(code) else {
            let known = Self.customizableStatusCodes.map(String.init).joined(separator: ", ")
            alert(
                "'errorfile' : status code '\(arguments[0])' cannot be customized (expects one of \(known)).",
                at: location
            )
            return
        }
        switch readReferencedFile(arguments[1]) {
        case .success(let contents):
            draft.config.errorFiles[code] = contents
        case .failure(let error):
            valueError(error, keyword: "errorfile", at: location)
        }
    }

    /// Splits rule arguments at the first `if`/`unless`.
    /// Returns the arguments before it, the condition, and false when the condition is empty.
    mutating func splitCondition(
        _ words: ArraySlice<String>,
        keyword: String,
        at location: ConfigLocation
    ) -> (arguments: ArraySlice<String>, condition: RuleCondition?, valid: Bool) {
        guard let index = words.firstIndex(where: { $0 == "if" || $0 == "unless" }) else {
            return (words, nil, true)
        }
        let polarity: RuleCondition.Polarity = words[index] == "if" ? .if : .unless
        let conditionWords = Array(words[(index + 1)...])
        guard !conditionWords.isEmpty else {
            alert("'\(keyword)' : missing condition after '\(words[index])'.", at: location)
            return (words[..<index], nil, false)
        }
        return (words[..<index], RuleCondition(polarity: polarity, words: conditionWords, location: location), true)
    }
}
