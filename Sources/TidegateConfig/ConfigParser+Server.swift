/// `server <name> <addr> [params]` and `default-server [params]`.
extension ConfigParser {
    static let serverParameters: [String] = [
        "weight", "maxconn", "minconn", "backup", "no-backup", "disabled", "enabled", "id", "check", "no-check",
        "inter", "fastinter", "downinter", "rise", "fall", "port", "addr", "slowstart", "observe", "error-limit",
        "on-error", "agent-check", "no-agent-check", "agent-port", "agent-inter",
    ]

    static let tlsServerParameters: Set<String> = [
        "ssl", "verify", "verifyhost", "sni", "crt", "ca-file", "alpn", "check-ssl", "ssl-min-ver", "ssl-max-ver",
        "ciphers", "no-ssl",
    ]

    mutating func parseServer(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let location = directive.location
        let words = Array(directive.arguments)
        guard words.count >= 2 else {
            alert("'server' expects <name> and <addr>[:<port>] as arguments.", at: location)
            return
        }
        let name = words[0]
        var valid = true
        if let bad = Self.invalidNameCharacter(name) {
            alert("'server' : character '\(bad)' is not permitted in server name '\(name)'.", at: location)
            valid = false
        }
        if let previous = draft.config.servers.first(where: { $0.name == name }) {
            alert(
                "'server' : \(draft.kind.rawValue) '\(draft.config.name)' already has a server named '\(name)' "
                    + "(declared at \(previous.location)).",
                at: location
            )
            valid = false
        }
        var address: ConfigAddress?
        switch ConfigAddress.parse(words[1], usage: .server) {
        case .success(let parsed): address = parsed
        case .failure(let error):
            alert("'server \(name)' : \(error.message).", at: location)
            valid = false
        }
        var parameters = draft.config.defaultServer
        var id: Int?
        if !parseServerParameters(words, from: 2, keyword: "server \(name)", into: &parameters, id: &id, at: location) {
            valid = false
        }
        if let id, let previous = draft.config.servers.first(where: { $0.id == id }) {
            alert(
                "'server \(name)' : id \(id) is already used by server '\(previous.name)' (declared at "
                    + "\(previous.location)).",
                at: location
            )
            valid = false
        }
        guard valid, let address else { return }
        draft.config.servers.append(
            ServerConfiguration(name: name, address: address, id: id, parameters: parameters, location: location)
        )
    }

    mutating func parseDefaultServer(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let words = Array(directive.arguments)
        var parameters = draft.config.defaultServer
        var id: Int?
        if parseServerParameters(
            words,
            from: 0,
            keyword: "default-server",
            into: &parameters,
            id: &id,
            at: directive.location
        ) {
            draft.config.defaultServer = parameters
        }
    }

    /// Parses server parameters from `words[start...]`; `id` is only accepted when `keyword` is a server.
    private mutating func parseServerParameters(
        _ words: [String],
        from start: Int,
        keyword: String,
        into parameters: inout ServerParameters,
        id: inout Int?,
        at location: ConfigLocation
    ) -> Bool {
        var valid = true
        var index = start
        let isDefaultServer = keyword == "default-server"
        while index < words.count {
            let parameter = words[index]
            // Flags.
            switch parameter {
            case "backup": parameters.isBackup = true
            case "no-backup": parameters.isBackup = false
            case "disabled": parameters.isDisabled = true
            case "enabled": parameters.isDisabled = false
            case "check": parameters.healthCheck = true
            case "no-check": parameters.healthCheck = false
            case "agent-check": parameters.agentCheck = true
            case "no-agent-check": parameters.agentCheck = false
            default:
                if Self.tlsServerParameters.contains(parameter) {
                    alert("'\(keyword)' : '\(parameter)' : TLS is not supported yet.", at: location)
                    return false
                }
                guard Self.serverParameters.contains(parameter) else {
                    let ending = KeywordSuggestion.ending(for: parameter, in: Self.serverParameters)
                    alert("'\(keyword)' : unknown keyword '\(parameter)'\(ending)", at: location)
                    return false
                }
                guard let text = value(after: index, in: words, keyword: keyword, parameter: parameter, at: location)
                else { return false }
                if !parseServerValue(
                    parameter,
                    text,
                    keyword: keyword,
                    isDefaultServer: isDefaultServer,
                    into: &parameters,
                    id: &id,
                    at: location
                ) {
                    valid = false
                }
                index += 2
                continue
            }
            index += 1
        }
        return valid
    }

    private mutating func parseServerValue(
        _ parameter: String,
        _ text: String,
        keyword: String,
        isDefaultServer: Bool,
        into parameters: inout ServerParameters,
        id: inout Int?,
        at location: ConfigLocation
    ) -> Bool {
        let name = "\(keyword) \(parameter)"
        switch parameter {
        case "weight":
            guard let value = integer(text, keyword: name, in: 0...256, at: location) else { return false }
            parameters.weight = value
        case "maxconn":
            guard let value = integer(text, keyword: name, at: location) else { return false }
            parameters.maxConnections = value == 0 ? nil : value
        case "minconn":
            guard let value = integer(text, keyword: name, at: location) else { return false }
            parameters.minConnections = value
        case "id":
            guard !isDefaultServer else {
                alert("'default-server' : 'id' is only allowed on 'server' lines.", at: location)
                return false
            }
            guard let value = integer(text, keyword: name, in: 1...Int(Int32.max), at: location) else { return false }
            id = value
        case "inter":
            guard let value = milliseconds(text, keyword: name, at: location) else { return false }
            guard value > 0 else {
                alert("'\(name)' : expects a positive time.", at: location)
                return false
            }
            parameters.checkInterval = value
        case "fastinter":
            guard let value = milliseconds(text, keyword: name, at: location) else { return false }
            parameters.fastInterval = value
        case "downinter":
            guard let value = milliseconds(text, keyword: name, at: location) else { return false }
            parameters.downInterval = value
        case "agent-inter":
            guard let value = milliseconds(text, keyword: name, at: location) else { return false }
            parameters.agentInterval = value
        case "slowstart":
            guard let value = milliseconds(text, keyword: name, at: location) else { return false }
            parameters.slowStart = value
        case "rise":
            guard let value = integer(text, keyword: name, in: 1...Int(Int32.max), at: location) else { return false }
            parameters.rise = value
        case "fall":
            guard let value = integer(text, keyword: name, in: 1...Int(Int32.max), at: location) else { return false }
            parameters.fall = value
        case "error-limit":
            guard let value = integer(text, keyword: name, in: 1...Int(Int32.max), at: location) else { return false }
            parameters.errorLimit = value
        case "port":
            guard let value = integer(text, keyword: name, in: 1...65535, at: location) else { return false }
            parameters.checkPort = value
        case "agent-port":
            guard let value = integer(text, keyword: name, in: 1...65535, at: location) else { return false }
            parameters.agentPort = value
        case "addr":
            guard ConfigAddress.isIPv4(Substring(text)) || ConfigAddress.isIPv6(Substring(text)) else {
                alert("'\(name)' : expects an IPv4 or IPv6 address, got '\(text)'.", at: location)
                return false
            }
            parameters.checkAddress = text
        case "observe":
            guard let mode = ServerParameters.ObserveMode(rawValue: text) else {
                alert("'\(name)' : expects 'layer4' or 'layer7', got '\(text)'.", at: location)
                return false
            }
            parameters.observe = mode
        case "on-error":
            guard let action = ServerParameters.OnErrorAction(rawValue: text) else {
                let known = ServerParameters.OnErrorAction.allCases.map(\.rawValue).joined(separator: ", ")
                alert("'\(name)' : expects one of \(known), got '\(text)'.", at: location)
                return false
            }
            parameters.onError = action
        default:
            return false
        }
        return true
    }
}
