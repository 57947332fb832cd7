/// `stats socket` and `stats timeout` in the `global` section: the runtime API.
extension ConfigParser {
    /// The `stats socket` parameters Tidegate accepts.
    static let statsSocketParameters: [String] = ["mode", "level", "user", "group", "uid", "gid"]

    /// HAProxy `bind` parameters that make sense on a stats socket but that Tidegate does not implement.
    static let unsupportedStatsSocketParameters: [String: (values: Int, reason: String)] = [
        "expose-fd": (1, "handing listening sockets over through the runtime API is not supported (Tidegate hands "
            + "them over by itself on a reload with -sf)"),
        "severity-output": (1, "severity prefixes are not supported"),
        "process": (1, "there is one process"),
        "thread": (1, "runtime API connections are spread over every thread"),
        "name": (1, "naming runtime API listeners is not supported"),
        "maxconn": (1, "'maxconn' on a stats socket is not supported"),
        "backlog": (1, "'backlog' on a stats socket is not supported"),
    ]

    mutating func parseStats(_ directive: ConfigDirective) {
        let arguments = Array(directive.arguments)
        let location = directive.location
        switch arguments.first {
        case "socket":
            parseStatsSocket(Array(arguments.dropFirst()), at: location)
        case "timeout":
            guard arguments.count == 2 else {
                alert("'stats timeout' expects exactly 1 argument.", at: location)
                return
            }
            guard let value = milliseconds(arguments[1], keyword: "stats timeout", at: location) else { return }
            guard value > 0 else {
                alert("'stats timeout' expects a positive value.", at: location)
                return
            }
            global.statsTimeout = value
        default:
            alert(
                "'stats' only supports 'socket' and 'timeout' in the 'global' section "
                    + "(got '\(arguments.first ?? "")').",
                at: location)
        }
    }

    private mutating func parseStatsSocket(_ words: [String], at location: ConfigLocation) {
        let keyword = "stats socket"
        guard let addressText = words.first else {
            alert("'\(keyword)' in global section expects an address or a path to a UNIX socket.", at: location)
            return
        }
        let address: ConfigAddress
        switch ConfigAddress.parse(addressText, usage: .bind) {
        case .success(.fileDescriptor):
            alert("'\(keyword)' : 'fd@' addresses are not supported.", at: location)
            return
        case .success(.inet(_, .range)):
            alert("'\(keyword)' : a single port is expected in '\(addressText)'.", at: location)
            return
        case .success(let parsed):
            address = parsed
        case .failure(let error):
            alert("'\(keyword)' : \(error.message).", at: location)
            return
        }
        var socket = StatsSocketConfiguration(address: address, location: location)
        var valid = true
        var index = 1
        while index < words.count {
            let parameter = words[index]
            if let unsupported = Self.unsupportedStatsSocketParameters[parameter]
                ?? Self.unsupportedBindParameters[parameter]
            {
                alert("'\(keyword)' : '\(parameter)' : \(unsupported.reason).", at: location)
                valid = false
                index += 1 + unsupported.values
                continue
            }
            guard Self.statsSocketParameters.contains(parameter) else {
                let ending = KeywordSuggestion.ending(for: parameter, in: Self.statsSocketParameters)
                alert("'\(keyword)' : unknown keyword '\(parameter)'\(ending)", at: location)
                valid = false
                break
            }
            guard let text = value(after: index, in: words, keyword: keyword, parameter: parameter, at: location) else {
                valid = false
                break
            }
            index += 2
            switch parameter {
            case "mode":
                if let mode = ConfigValueParser.octalMode(text) {
                    socket.mode = mode
                } else {
                    alert("'\(keyword) mode' : expects an octal permission mode, got '\(text)'.", at: location)
                    valid = false
                }
            case "level":
                if let level = CLIAccessLevel(keyword: text) {
                    socket.level = level
                } else {
                    alert(
                        "'\(keyword) level' only supports 'user', 'operator', and 'admin' (got '\(text)').",
                        at: location)
                    valid = false
                }
            case "user": socket.user = text
            case "group": socket.group = text
            case "uid", "gid":
                guard let value = integer(text, keyword: "\(keyword) \(parameter)", at: location) else {
                    valid = false
                    break
                }
                if parameter == "uid" { socket.uid = value } else { socket.gid = value }
            default:
                break
            }
        }
        if socket.mode != nil, case .inet = socket.address {
            warning("'\(keyword) mode' only applies to UNIX sockets; ignored for '\(addressText)'.", at: location)
        }
        if valid { global.statsSockets.append(socket) }
    }
}
