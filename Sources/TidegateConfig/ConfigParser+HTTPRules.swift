/// `http-request`, `http-response` and `http-after-response` rules.
extension ConfigParser {
    mutating func parseHTTPRule(_ directive: ConfigDirective, ruleSet: HTTPRuleList) -> HTTPRule? {
        let location = directive.location
        let words = directive.arguments
        guard let actionWord = words.first else {
            alert(
                "'\(ruleSet.keyword)' expects an action (\(ruleSet.actions.sorted().joined(separator: ", "))).",
                at: location
            )
            return nil
        }
        let (actionName, parenthesized) = Self.splitActionWord(actionWord)
        let displayName = "\(ruleSet.keyword) \(actionName)"
        let (arguments, condition, valid) = splitCondition(words.dropFirst(), keyword: displayName, at: location)
        guard valid else { return nil }

        guard ruleSet.actions.contains(actionName) else {
            if extensions.isAction(actionWord, registeredIn: ruleSet.registrySet) {
                return HTTPRule(
                    action: .custom(name: actionWord, arguments: Array(arguments)),
                    condition: condition,
                    location: location
                )
            }
            reportUnknownAction(
                actionWord,
                actionName: actionName,
                keyword: ruleSet.keyword,
                known: ruleSet.actions,
                isKnownElsewhere: HTTPRuleList.allActions.contains(actionName),
                at: location
            )
            return nil
        }
        guard
            let action = parseHTTPAction(
                actionName,
                parenthesized: parenthesized,
                arguments: arguments,
                ruleSet: ruleSet,
                displayName: displayName,
                at: location
            )
        else { return nil }
        return HTTPRule(action: action, condition: condition, location: location)
    }

    mutating func reportUnknownAction(
        _ actionWord: String,
        actionName: String,
        keyword: String,
        known: [String],
        isKnownElsewhere: Bool,
        at location: ConfigLocation
    ) {
        if isKnownElsewhere {
            alert(
                "'\(keyword) \(actionName)' : action '\(actionName)' is not available in '\(keyword)' rules.",
                at: location
            )
        } else if actionWord.contains(".") {
            alert(
                "'\(keyword)' : unknown action '\(actionWord)' (no module registered it; is the script that declares "
                    + "it loaded?).",
                at: location
            )
        } else {
            let ending = KeywordSuggestion.ending(for: actionName, in: known)
            alert(
                "'\(keyword)' : unknown action '\(actionWord)' (expects one of "
                    + "\(known.sorted().joined(separator: ", ")))\(ending)",
                at: location
            )
        }
    }

    /// `set-var(txn.x)` → (`set-var`, `txn.x`); other words are returned unchanged with nil.
    static func splitActionWord(_ word: String) -> (name: String, parenthesized: String?) {
        for name in ["set-var-fmt", "set-var", "unset-var"] {
            if let inside = parenthesized(word, prefix: name) { return (name, inside) }
        }
        return (word, nil)
    }

    /// Parses `<scope>.<name>[,<cond>...]` from a `set-var(...)` word.
    mutating func parseVariableSpecification(
        _ parenthesized: String?,
        displayName: String,
        allowConditions: Bool,
        at location: ConfigLocation
    ) -> (VariableName, [HTTPRuleAction.VariableSetCondition])? {
        guard let parenthesized, !parenthesized.isEmpty else {
            alert(
                "'\(displayName)' expects a variable name between parentheses, e.g. "
                    + "'\(displayName.split(separator: " ").last!)(txn.name)'.",
                at: location
            )
            return nil
        }
        let parts = parenthesized.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let variable: VariableName
        switch VariableName.parse(parts[0]) {
        case .success(let parsed): variable = parsed
        case .failure(let error):
            valueError(error, keyword: displayName, at: location)
            return nil
        }
        var conditions: [HTTPRuleAction.VariableSetCondition] = []
        for text in parts.dropFirst() {
            guard allowConditions else {
                alert("'\(displayName)' : unexpected '\(text)' after the variable name.", at: location)
                return nil
            }
            guard let condition = HTTPRuleAction.VariableSetCondition(rawValue: text) else {
                let known = HTTPRuleAction.VariableSetCondition.allCases.map(\.rawValue).joined(separator: ", ")
                alert("'\(displayName)' : unknown condition '\(text)' (expects one of \(known)).", at: location)
                return nil
            }
            conditions.append(condition)
        }
        return (variable, conditions)
    }

    private mutating func parseHTTPAction(
        _ name: String,
        parenthesized: String?,
        arguments: ArraySlice<String>,
        ruleSet: HTTPRuleList,
        displayName: String,
        at location: ConfigLocation
    ) -> HTTPRuleAction? {
        let args = Array(arguments)
        switch name {
        case "set-header", "add-header":
            guard expect(arguments, count: 2, keyword: displayName, at: location) else { return nil }
            return name == "set-header"
                ? .setHeader(name: args[0], format: args[1]) : .addHeader(name: args[0], format: args[1])
        case "del-header":
            if args.count == 1 { return .deleteHeader(name: args[0], match: .exact) }
            guard args.count == 3, args[1] == "-m" else {
                alert("'\(displayName)' expects a header name and optionally '-m <method>'.", at: location)
                return nil
            }
            guard let match = HTTPRuleAction.HeaderMatch(rawValue: args[2]) else {
                alert(
                    "'\(displayName)' : unknown matching method '\(args[2])' (expects str, beg, end, sub or reg).",
                    at: location
                )
                return nil
            }
            return .deleteHeader(name: args[0], match: match)
        case "replace-header", "replace-value":
            guard expect(arguments, count: 3, keyword: displayName, at: location) else { return nil }
            return name == "replace-header"
                ? .replaceHeader(name: args[0], regex: args[1], format: args[2])
                : .replaceValue(name: args[0], regex: args[1], format: args[2])
        case "set-path", "set-pathq", "set-query", "set-uri", "set-method":
            guard expect(arguments, count: 1, keyword: displayName, at: location) else { return nil }
            switch name {
            case "set-path": return .setPath(args[0])
            case "set-pathq": return .setPathQuery(args[0])
            case "set-query": return .setQuery(args[0])
            case "set-uri": return .setURI(args[0])
            default: return .setMethod(args[0])
            }
        case "set-status":
            guard args.count == 1 || (args.count == 3 && args[1] == "reason") else {
                alert("'\(displayName)' expects a status code and optionally 'reason <text>'.", at: location)
                return nil
            }
            guard let code = integer(args[0], keyword: displayName, in: 100...999, at: location) else { return nil }
            return .setStatus(code: code, reason: args.count == 3 ? args[2] : nil)
        case "set-var", "set-var-fmt", "unset-var":
            guard
                let action = parseVariableAction(
                    name, parenthesized: parenthesized, arguments: arguments, displayName: displayName, at: location)
            else { return nil }
            switch action {
            case .set(let variable, let expression, let conditions):
                return .setVariable(variable, expression: expression, conditions: conditions)
            case .setFormat(let variable, let format, let conditions):
                return .setVariableFormat(variable, format: format, conditions: conditions)
            case .unset(let variable):
                return .unsetVariable(variable)
            }
        case "allow":
            guard expect(arguments, count: 0, keyword: displayName, at: location) else { return nil }
            return .allow
        case "deny":
            guard
                let reply = parseReturnArguments(
                    args,
                    displayName: displayName,
                    defaultStatus: ruleSet.defaultDenyStatus,
                    isDeny: true,
                    at: location
                )
            else { return nil }
            return .deny(reply)
        case "return":
            guard
                let reply = parseReturnArguments(
                    args,
                    displayName: displayName,
                    defaultStatus: 200,
                    isDeny: false,
                    at: location
                )
            else { return nil }
            return .return(reply)
        case "redirect":
            guard let redirect = parseRedirect(args, displayName: displayName, at: location) else { return nil }
            return .redirect(redirect)
        case "set-log-level":
            guard expect(arguments, count: 1, keyword: displayName, at: location) else { return nil }
            if args[0] == "silent" { return .setLogLevel(.silent) }
            guard let level = LogLevel(keyword: args[0]) else {
                alert(
                    "'\(displayName)' : unknown log level '\(args[0])' (expects silent, "
                        + "\(LogLevel.allCases.map(\.keyword).joined(separator: ", "))).",
                    at: location
                )
                return nil
            }
            return .setLogLevel(.level(level))
        case "capture":
            return parseCapture(args, ruleSet: ruleSet, displayName: displayName, at: location)
        case "use-service":
            guard expect(arguments, count: 1, keyword: displayName, at: location) else { return nil }
            guard extensions.isService(args[0]) else {
                alert("'\(displayName)' : unknown service '\(args[0])'.", at: location)
                return nil
            }
            return .useService(name: args[0])
        default:
            alert("'\(ruleSet.keyword)' : unknown action '\(name)'.", at: location)
            return nil
        }
    }

    private mutating func parseCapture(
        _ args: [String],
        ruleSet: HTTPRuleList,
        displayName: String,
        at location: ConfigLocation
    ) -> HTTPRuleAction? {
        guard args.count == 3, args[1] == "len" || args[1] == "id" else {
            let form = ruleSet == .request ? "<sample> len <length> | id <id>" : "<sample> id <id>"
            alert("'\(displayName)' expects '\(form)'.", at: location)
            return nil
        }
        if args[1] == "len" {
            guard ruleSet == .request else {
                alert(
                    "'\(displayName)' : 'len' is only available in 'http-request capture'; use 'id <id>'.",
                    at: location
                )
                return nil
            }
            guard let length = integer(args[2], keyword: "\(displayName) len", in: 1...65535, at: location) else {
                return nil
            }
            return .capture(sample: [args[0]], length: length, id: nil)
        }
        guard let id = integer(args[2], keyword: "\(displayName) id", at: location) else { return nil }
        return .capture(sample: [args[0]], length: nil, id: id)
    }

    /// `[status <code>] [content-type <type>] [<payload>] [hdr <name> <fmt>]*` (`deny_status` too for deny).
    mutating func parseReturnArguments(
        _ args: [String],
        displayName: String,
        defaultStatus: Int,
        isDeny: Bool,
        at location: ConfigLocation
    ) -> HTTPReturnConfiguration? {
        var reply = HTTPReturnConfiguration(status: defaultStatus)
        var payloadSet = false
        var index = 0
        while index < args.count {
            let word = args[index]
            switch word {
            case "status", "deny_status":
                if word == "deny_status" && !isDeny {
                    alert("'\(displayName)' : unexpected argument '\(word)'; use 'status'.", at: location)
                    return nil
                }
                guard let text = value(after: index, in: args, keyword: displayName, parameter: word, at: location),
                    let code = integer(text, keyword: "\(displayName) \(word)", in: 200...599, at: location)
                else { return nil }
                reply.status = code
                index += 2
            case "content-type":
                guard let text = value(after: index, in: args, keyword: displayName, parameter: word, at: location)
                else { return nil }
                reply.contentType = text
                index += 2
            case "hdr":
                guard index + 2 < args.count else {
                    alert("'\(displayName)' : 'hdr' expects a name and a value.", at: location)
                    return nil
                }
                let header = args[index + 1]
                let lowered = header.lowercased()
                if lowered == "content-length" || lowered == "content-type" || lowered == "transfer-encoding" {
                    alert("'\(displayName)' : header '\(header)' cannot be set with 'hdr'.", at: location)
                    return nil
                }
                reply.headers.append(HTTPReturnConfiguration.Header(name: header, format: args[index + 2]))
                index += 3
            case "default-errorfiles", "errorfile", "errorfiles", "file", "lf-file", "string", "lf-string":
                if payloadSet {
                    alert("'\(displayName)' : '\(word)' : only one payload may be defined.", at: location)
                    return nil
                }
                payloadSet = true
                if word == "default-errorfiles" {
                    reply.payload = .defaultErrorFiles
                    index += 1
                    continue
                }
                guard let text = value(after: index, in: args, keyword: displayName, parameter: word, at: location)
                else { return nil }
                index += 2
                switch word {
                case "errorfiles":
                    alert("'\(displayName)' : 'errorfiles' : 'http-errors' sections are not supported.", at: location)
                    return nil
                case "string":
                    reply.payload = .string(text)
                case "lf-string":
                    reply.payload = .logFormatString(text)
                default:
                    let contents: String
                    switch readReferencedFile(text) {
                    case .success(let read): contents = read
                    case .failure(let error):
                        alert("'\(displayName)' : '\(word)' : \(error.message).", at: location)
                        return nil
                    }
                    switch word {
                    case "errorfile": reply.payload = .errorFile(path: text, contents: contents)
                    case "file": reply.payload = .file(path: text, contents: contents)
                    default: reply.payload = .logFormatFile(path: text, contents: contents)
                    }
                }
            default:
                alert("'\(displayName)' : unexpected argument '\(word)'.", at: location)
                return nil
            }
        }
        switch reply.payload {
        case .errorFile, .defaultErrorFiles:
            if reply.contentType != nil || !reply.headers.isEmpty {
                alert("'\(displayName)' : 'content-type' and 'hdr' cannot be used with an error file.", at: location)
                return nil
            }
        case .file, .logFormatFile, .string, .logFormatString:
            if reply.contentType == nil {
                alert("'\(displayName)' : a 'content-type' must be defined with a payload.", at: location)
                return nil
            }
        case .none:
            if reply.contentType != nil {
                warning("'\(displayName)' : 'content-type' ignored because there is no payload.", at: location)
                reply.contentType = nil
            }
        }
        return reply
    }

    private mutating func parseRedirect(
        _ args: [String],
        displayName: String,
        at location: ConfigLocation
    ) -> HTTPRedirectConfiguration? {
        guard args.count >= 2, let kind = HTTPRedirectConfiguration.Kind(rawValue: args[0]) else {
            alert("'\(displayName)' expects 'location', 'prefix' or 'scheme' followed by a value.", at: location)
            return nil
        }
        var redirect = HTTPRedirectConfiguration(kind: kind, value: args[1])
        var index = 2
        while index < args.count {
            let word = args[index]
            switch word {
            case "drop-query":
                redirect.dropQuery = true
                index += 1
            case "append-slash":
                redirect.appendSlash = true
                index += 1
            case "code", "set-cookie", "clear-cookie":
                guard let text = value(after: index, in: args, keyword: displayName, parameter: word, at: location)
                else { return nil }
                index += 2
                switch word {
                case "code":
                    guard let code = Int(text), [301, 302, 303, 307, 308].contains(code) else {
                        alert(
                            "'\(displayName)' : 'code' expects 301, 302, 303, 307 or 308, got '\(text)'.",
                            at: location
                        )
                        return nil
                    }
                    redirect.code = code
                case "set-cookie": redirect.setCookie = text
                default: redirect.clearCookie = text
                }
            default:
                alert(
                    "'\(displayName)' : unexpected argument '\(word)' (expects 'code', 'drop-query', 'append-slash', "
                        + "'set-cookie' or 'clear-cookie').",
                    at: location
                )
                return nil
            }
        }
        return redirect
    }
}

/// A parsed `set-var`, `set-var-fmt` or `unset-var` action, shared by HTTP and TCP rules.
enum VariableAction {
    case set(VariableName, expression: [String], conditions: [HTTPRuleAction.VariableSetCondition])
    case setFormat(VariableName, format: String, conditions: [HTTPRuleAction.VariableSetCondition])
    case unset(VariableName)
}

extension ConfigParser {
    /// Parses `set-var(<var>[,<cond>...]) <expr>`, `set-var-fmt(<var>[,<cond>...]) <fmt>` or
    /// `unset-var(<var>)`; nil after an alert.
    mutating func parseVariableAction(
        _ name: String, parenthesized: String?, arguments: ArraySlice<String>, displayName: String,
        at location: ConfigLocation
    ) -> VariableAction? {
        guard
            let (variable, conditions) = parseVariableSpecification(
                parenthesized, displayName: displayName, allowConditions: name != "unset-var", at: location)
        else { return nil }
        switch name {
        case "set-var":
            guard !arguments.isEmpty else {
                alert("'\(displayName)' expects a sample expression.", at: location)
                return nil
            }
            return .set(variable, expression: Array(arguments), conditions: conditions)
        case "set-var-fmt":
            guard expect(arguments, count: 1, keyword: displayName, at: location) else { return nil }
            return .setFormat(variable, format: arguments.first!, conditions: conditions)
        default:
            guard expect(arguments, count: 0, keyword: displayName, at: location) else { return nil }
            return .unset(variable)
        }
    }
}
