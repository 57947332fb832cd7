/// The `global` section.
extension ConfigParser {
    mutating func parseGlobal(_ directive: ConfigDirective) {
        let keyword = directive.keyword
        let arguments = directive.arguments
        let location = directive.location
        switch keyword {
        case "nbthread":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = integer(arguments.first!, keyword: keyword, in: 1...4096, at: location) {
                global.threadCount = value
            }
        case "maxconn":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = integer(arguments.first!, keyword: keyword, at: location) {
                global.maxConnections = value
            }
        case "daemon":
            if expect(arguments, count: 0, keyword: keyword, at: location) { global.daemon = true }
        case "quiet":
            if expect(arguments, count: 0, keyword: keyword, at: location) { global.quiet = true }
        case "pidfile":
            if expect(arguments, count: 1, keyword: keyword, at: location) { global.pidFile = arguments.first }
        case "chroot":
            if expect(arguments, count: 1, keyword: keyword, at: location) { global.chroot = arguments.first }
        case "user":
            if expect(arguments, count: 1, keyword: keyword, at: location) { global.user = arguments.first }
        case "group":
            if expect(arguments, count: 1, keyword: keyword, at: location) { global.group = arguments.first }
        case "uid":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = integer(arguments.first!, keyword: keyword, at: location) { global.uid = value }
        case "gid":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = integer(arguments.first!, keyword: keyword, at: location) { global.gid = value }
        case "node":
            if expect(arguments, count: 1, keyword: keyword, at: location) { global.node = arguments.first }
        case "description":
            guard expect(arguments, countIn: 1...Int.max, keyword: keyword, at: location) else { return }
            global.description = arguments.joined(separator: " ")
        case "hard-stop-after":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = milliseconds(arguments.first!, keyword: keyword, at: location) {
                global.hardStopAfter = value
            }
        case "grace":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = milliseconds(arguments.first!, keyword: keyword, at: location) { global.grace = value }
        case "tune.bufsize":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = size(arguments.first!, keyword: keyword, in: 1024...(256 * 1024 * 1024), at: location) {
                global.bufferSize = value
            }
        case "tune.http.maxhdr":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = integer(arguments.first!, keyword: keyword, in: 1...32767, at: location) {
                global.maxHeaderCount = value
            }
        case "tune.maxrewrite":
            guard expect(arguments, count: 1, keyword: keyword, at: location) else { return }
            if let value = size(arguments.first!, keyword: keyword, at: location) { global.maxRewrite = value }
        case "log":
            if arguments.first == "global" {
                alert("'log global' is only valid in proxy sections.", at: location)
                return
            }
            if let target = parseLogTarget(directive) { global.logTargets.append(target) }
        case "default-path":
            parseDefaultPath(directive)
        case "stats":
            parseStats(directive)
        default:
            if let sections = extensions.sections(forKeyword: keyword), sections.contains(.global) {
                global.extensionDirectives.append(directive)
                return
            }
            var candidates = Self.globalKeywords
            candidates.append(contentsOf: Self.unsupportedSections)
            let ending = KeywordSuggestion.ending(for: keyword, in: candidates)
            alert("unknown keyword '\(keyword)' in 'global' section\(ending)", at: location)
        }
    }

    private mutating func parseDefaultPath(_ directive: ConfigDirective) {
        let arguments = Array(directive.arguments)
        let location = directive.location
        switch arguments.first {
        case "current" where arguments.count == 1: defaultPath = .current
        case "config" where arguments.count == 1: defaultPath = .config
        case "parent" where arguments.count == 1: defaultPath = .parent
        case "origin" where arguments.count == 2: defaultPath = .origin(arguments[1])
        default:
            alert(
                "'default-path' expects 'current', 'config', 'parent' or 'origin <path>'.",
                at: location
            )
        }
    }
}
