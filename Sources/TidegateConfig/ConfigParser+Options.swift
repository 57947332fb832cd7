/// `option <name>` and `no option <name>` / `no log`.
extension ConfigParser {
    /// Options whose `no` form HAProxy accepts.
    static let negatableOptions: Set<String> = [
        "abortonclose", "allbackups", "dontlognull", "http-buffer-request", "http-keep-alive", "http-server-close",
        "httpclose", "log-separate-errors", "redispatch", "tcp-check",
    ]

    mutating func parseNegation(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let location = directive.location
        let arguments = directive.arguments
        switch arguments.first {
        case "option":
            parseOption(
                ConfigDirective(words: Array(arguments), location: location),
                negated: true,
                into: &draft
            )
        case "log":
            guard expect(arguments.dropFirst(), count: 0, keyword: "no log", at: location) else { return }
            draft.logEntries = []
        default:
            alert("'no' is only supported before 'option' and 'log'.", at: location)
        }
    }

    mutating func parseOption(_ directive: ConfigDirective, negated: Bool, into draft: inout ProxyDraft) {
        let location = directive.location
        let prefix = negated ? "no option" : "option"
        guard let name = directive.arguments.first else {
            alert("'\(prefix)' expects an option name.", at: location)
            return
        }
        let keyword = "\(prefix) \(name)"
        guard let placement = ConfigKeywordPlacement.options[name] else {
            let ending = KeywordSuggestion.ending(for: name, in: ConfigKeywordPlacement.options.keys)
            alert("unknown option '\(name)'\(ending)", at: location)
            return
        }
        guard checkPlacement(placement, keyword: "option \(name)", draft: draft, at: location) else { return }
        if negated && !Self.negatableOptions.contains(name) {
            alert("negation is not supported for 'option \(name)'.", at: location)
            return
        }
        let arguments = directive.arguments.dropFirst()
        let enabled = !negated
        switch name {
        case "forwardfor":
            parseForwardFor(arguments, into: &draft, at: location)
        case "httpchk":
            guard expect(arguments, countIn: 0...3, keyword: keyword, at: location) else { return }
            let words = Array(arguments)
            var check = HTTPCheckOption()
            switch words.count {
            case 1:
                check.uri = words[0]
            case 2, 3:
                check.method = words[0]
                check.uri = words[1]
                if words.count == 3 { check.version = words[2] }
            default:
                break
            }
            draft.config.httpCheck = check
        case "httplog":
            guard expect(arguments, countIn: 0...1, keyword: keyword, at: location) else { return }
            if let argument = arguments.first {
                guard argument == "clf" else {
                    alert("'\(keyword)' : unexpected argument '\(argument)' (only 'clf' is accepted).", at: location)
                    return
                }
                draft.config.httpLog = .clf
            } else {
                draft.config.httpLog = .standard
            }
            draft.config.tcpLog = false
            draft.config.logFormat = nil
        default:
            guard expect(arguments, count: 0, keyword: keyword, at: location) else { return }
            switch name {
            case "tcplog":
                draft.config.tcpLog = true
                draft.config.httpLog = nil
                draft.config.logFormat = nil
            case "redispatch": draft.config.redispatch = enabled
            case "allbackups": draft.config.allBackups = enabled
            case "dontlognull": draft.config.dontLogNull = enabled
            case "log-separate-errors": draft.config.logSeparateErrors = enabled
            case "http-buffer-request": draft.config.httpBufferRequest = enabled
            case "abortonclose": draft.config.abortOnClose = enabled
            case "tcp-check": draft.config.tcpCheck = enabled
            case "http-keep-alive", "http-server-close", "httpclose":
                let mode = HTTPConnectionMode(rawValue: name)!
                if enabled {
                    draft.config.httpConnectionMode = mode
                } else if draft.config.httpConnectionMode == mode {
                    draft.config.httpConnectionMode = .keepAlive
                }
            default:
                alert("unknown option '\(name)'.", at: location)
            }
        }
    }

    private mutating func parseForwardFor(
        _ arguments: ArraySlice<String>,
        into draft: inout ProxyDraft,
        at location: ConfigLocation
    ) {
        let words = Array(arguments)
        var option = ForwardForOption()
        var index = 0
        while index < words.count {
            switch words[index] {
            case "if-none":
                option.ifNone = true
                index += 1
            case "except":
                guard
                    let network = value(
                        after: index,
                        in: words,
                        keyword: "option forwardfor",
                        parameter: "except",
                        at: location
                    )
                else { return }
                guard ConfigAddress.isNetwork(network) else {
                    alert(
                        "'option forwardfor' : 'except' expects a network (address[/mask]), got '\(network)'.",
                        at: location
                    )
                    return
                }
                option.exceptNetwork = network
                index += 2
            case "header":
                guard
                    let header = value(
                        after: index,
                        in: words,
                        keyword: "option forwardfor",
                        parameter: "header",
                        at: location
                    )
                else { return }
                guard !header.isEmpty else {
                    alert("'option forwardfor' : 'header' expects a non-empty header name.", at: location)
                    return
                }
                option.header = header
                index += 2
            default:
                alert(
                    "'option forwardfor' : unknown argument '\(words[index])' (expects 'except', 'header' or "
                        + "'if-none').",
                    at: location
                )
                return
            }
        }
        draft.config.forwardFor = option
    }
}
