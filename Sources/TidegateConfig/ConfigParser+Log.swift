/// `log` lines, shared by `global` and proxies.
extension ConfigParser {
    /// Parses `log <target> [len <n>] [format <fmt>] <facility> [<max level> [<min level>]]`.
    mutating func parseLogTarget(_ directive: ConfigDirective) -> LogTarget? {
        let arguments = Array(directive.arguments)
        let location = directive.location
        guard arguments.count >= 2 else {
            alert(
                "'log' expects '<target> [len <n>] [format <fmt>] <facility> [<max level> [<min level>]]' or 'global'.",
                at: location
            )
            return nil
        }
        guard let destination = parseLogDestination(arguments[0], at: location) else { return nil }
        var target = LogTarget(destination: destination, facility: .local0, location: location)
        var index = 1
        while index < arguments.count {
            switch arguments[index] {
            case "len":
                guard let text = value(after: index, in: arguments, keyword: "log", parameter: "len", at: location),
                    let length = integer(text, keyword: "log len", in: 80...65535, at: location)
                else { return nil }
                target.maximumLength = length
                index += 2
                continue
            case "format":
                guard let text = value(after: index, in: arguments, keyword: "log", parameter: "format", at: location)
                else { return nil }
                guard let format = LogTarget.Format(rawValue: text) else {
                    let known = LogTarget.Format.allCases.map(\.rawValue).joined(separator: ", ")
                    alert("'log' : unknown log format '\(text)' (expects one of \(known)).", at: location)
                    return nil
                }
                target.format = format
                index += 2
                continue
            case "sample":
                alert("'log' : 'sample' is not supported.", at: location)
                return nil
            default:
                break
            }
            break
        }
        guard index < arguments.count else {
            alert("'log' : missing facility.", at: location)
            return nil
        }
        guard let facility = LogFacility(keyword: arguments[index]) else {
            let ending = KeywordSuggestion.ending(for: arguments[index], in: LogFacility.allCases.map(\.keyword))
            alert("'log' : unknown log facility '\(arguments[index])'\(ending)", at: location)
            return nil
        }
        target.facility = facility
        index += 1
        let levels = arguments[index...]
        guard levels.count <= 2 else {
            alert("'log' : unexpected argument '\(arguments[index + 2])' after the levels.", at: location)
            return nil
        }
        for (position, text) in levels.enumerated() {
            guard let level = LogLevel(keyword: text) else {
                let known = LogLevel.allCases.map(\.keyword).joined(separator: ", ")
                alert("'log' : unknown log level '\(text)' (expects one of \(known)).", at: location)
                return nil
            }
            if position == 0 { target.maximumLevel = level } else { target.minimumLevel = level }
        }
        return target
    }

    private mutating func parseLogDestination(_ text: String, at location: ConfigLocation) -> LogTarget.Destination? {
        switch text {
        case "stdout", "fd@1": return .standardOutput
        case "stderr", "fd@2": return .standardError
        default: break
        }
        if text.hasPrefix("ring@") {
            alert("'log' : ring buffers ('\(text)') are not supported.", at: location)
            return nil
        }
        if text.hasPrefix("tcp@") || text.hasPrefix("tcp4@") || text.hasPrefix("tcp6@") {
            alert("'log' : TCP syslog targets ('\(text)') are not supported; use UDP or a UNIX socket.", at: location)
            return nil
        }
        switch ConfigAddress.parse(text, usage: .log) {
        case .success(.unix(let path)): return .unixSocket(path: path)
        case .success(.fileDescriptor(let fd)): return .fileDescriptor(fd)
        case .success(let address): return .udp(address)
        case .failure(let error):
            alert("'log' : \(error.message).", at: location)
            return nil
        }
    }
}
