/// `tcp-request connection|content|inspect-delay` and `tcp-response content|inspect-delay`.
extension ConfigParser {
    mutating func parseTCPRuleLine(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let location = directive.location
        let keyword = directive.keyword
        let kinds =
            keyword == "tcp-request" ? ["connection", "content", "inspect-delay"] : ["content", "inspect-delay"]
        guard let kind = directive.arguments.first else {
            alert("'\(keyword)' expects \(kinds.map { "'\($0)'" }.joined(separator: ", ")).", at: location)
            return
        }
        let fullKeyword = "\(keyword) \(kind)"
        guard let placement = ConfigKeywordPlacement.tcpRuleKinds[fullKeyword] else {
            if kind == "session" {
                alert("'tcp-request session' rules are not supported.", at: location)
            } else {
                alert(
                    "'\(keyword)' : unknown rule kind '\(kind)' (expects "
                        + "\(kinds.map { "'\($0)'" }.joined(separator: ", "))).",
                    at: location
                )
            }
            return
        }
        guard checkPlacement(placement, keyword: fullKeyword, draft: draft, at: location) else { return }
        let rest = directive.arguments.dropFirst()
        if kind == "inspect-delay" {
            guard expect(rest, count: 1, keyword: fullKeyword, at: location),
                let delay = milliseconds(rest.first!, keyword: fullKeyword, at: location)
            else { return }
            if keyword == "tcp-request" {
                draft.config.tcpRequestInspectDelay = delay
            } else {
                draft.config.tcpResponseInspectDelay = delay
            }
            return
        }
        let registrySet: ConfigExtensionRegistry.RuleSets
        let actions: [String]
        switch fullKeyword {
        case "tcp-request connection":
            registrySet = .tcpRequestConnection
            actions = ["accept", "reject"]
        case "tcp-request content":
            registrySet = .tcpRequestContent
            actions = ["accept", "reject", "set-var", "set-var-fmt", "unset-var", "use-service"]
        default:
            registrySet = .tcpResponseContent
            actions = ["accept", "reject", "set-var", "set-var-fmt", "unset-var"]
        }
        guard
            let rule = parseTCPRule(
                rest,
                keyword: fullKeyword,
                actions: actions,
                registrySet: registrySet,
                at: location
            )
        else { return }
        switch fullKeyword {
        case "tcp-request connection": draft.config.tcpRequestConnectionRules.append(rule)
        case "tcp-request content": draft.config.tcpRequestContentRules.append(rule)
        default: draft.config.tcpResponseContentRules.append(rule)
        }
    }

    private mutating func parseTCPRule(
        _ words: ArraySlice<String>,
        keyword: String,
        actions: [String],
        registrySet: ConfigExtensionRegistry.RuleSets,
        at location: ConfigLocation
    ) -> TCPRule? {
        guard let actionWord = words.first else {
            alert("'\(keyword)' expects an action (\(actions.joined(separator: ", "))).", at: location)
            return nil
        }
        let (name, parenthesized) = Self.splitActionWord(actionWord)
        let displayName = "\(keyword) \(name)"
        let (arguments, condition, valid) = splitCondition(words.dropFirst(), keyword: displayName, at: location)
        guard valid else { return nil }
        guard actions.contains(name) else {
            if extensions.isAction(actionWord, registeredIn: registrySet) {
                return TCPRule(
                    action: .custom(name: actionWord, arguments: Array(arguments)),
                    condition: condition,
                    location: location
                )
            }
            let elsewhere = ["accept", "reject", "set-var", "set-var-fmt", "unset-var", "use-service"].contains(name)
            reportUnknownAction(
                actionWord,
                actionName: name,
                keyword: keyword,
                known: actions,
                isKnownElsewhere: elsewhere,
                at: location
            )
            return nil
        }
        let action: TCPRuleAction
        switch name {
        case "accept", "reject":
            guard expect(arguments, count: 0, keyword: displayName, at: location) else { return nil }
            action = name == "accept" ? .accept : .reject
        case "set-var", "set-var-fmt", "unset-var":
            guard
                let parsed = parseVariableAction(
                    name, parenthesized: parenthesized, arguments: arguments, displayName: displayName, at: location)
            else { return nil }
            switch parsed {
            case .set(let variable, let expression, let conditions):
                action = .setVariable(variable, expression: expression, conditions: conditions)
            case .setFormat(let variable, let format, let conditions):
                action = .setVariableFormat(variable, format: format, conditions: conditions)
            case .unset(let variable):
                action = .unsetVariable(variable)
            }
        default:
            guard expect(arguments, count: 1, keyword: displayName, at: location) else { return nil }
            guard extensions.isService(arguments.first!) else {
                alert("'\(displayName)' : unknown service '\(arguments.first!)'.", at: location)
                return nil
            }
            action = .useService(name: arguments.first!)
        }
        return TCPRule(action: action, condition: condition, location: location)
    }
}
