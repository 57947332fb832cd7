import TidegateConfig
import TidegateCore

extension RuntimeCommands {
    /// Whether a command works on a map (`key value` entries) or an ACL pattern list.
    enum PatternKind: String, CaseIterable {
        case map, acl

        var isMap: Bool { self == .map }
        /// How HAProxy names it in messages.
        var label: String { self == .map ? "map" : "ACL" }
        var unknown: String { "Unknown \(label) identifier. Please use #<id> or <file>." }
    }

    /// `show map|acl [<file>]`, `add map|acl`, `del map|acl`, `clear map|acl`, `set map`: the pattern files the
    /// configuration loaded, changed as Lua's `core.set_map` changes them (every event loop's next lookup sees it).
    static func patterns(_ environment: RuntimeAPIEnvironment) -> [CLICommand] {
        let files = PatternFiles(environment: environment)
        var commands: [CLICommand] = []
        for kind in PatternKind.allCases {
            let name = kind.rawValue
            commands.append(
                CLICommand(
                    words: ["show", name],
                    usage: CLICommand.usage("show \(name) [<file>]", "list the \(name)s, or one's entries"),
                    action: .respond { request in files.show(kind, request[2]) }))
            commands.append(
                CLICommand(
                    words: ["add", name],
                    usage: CLICommand.usage(
                        kind.isMap ? "add map <file> <key> <value>" : "add acl <file> <pattern>",
                        "add an entry (or one per payload line)"),
                    level: .operator, action: .respond { request in files.add(kind, request) }))
            commands.append(
                CLICommand(
                    words: ["del", name], usage: CLICommand.usage("del \(name) <file> <key>|#<ref>", "delete entries"),
                    level: .operator, action: .respond { request in files.delete(kind, request) }))
            commands.append(
                CLICommand(
                    words: ["clear", name], usage: CLICommand.usage("clear \(name) <file>", "delete every entry"),
                    level: .operator, action: .respond { request in files.clear(kind, request[2]) }))
        }
        commands.append(
            CLICommand(
                words: ["set", "map"],
                usage: CLICommand.usage("set map <file> <key>|#<ref> <value>", "change the value of entries"),
                level: .operator, action: .respond { request in files.set(request) }))
        return commands
    }

    /// The loaded pattern files, found by the name the configuration gave them (or its resolved path).
    struct PatternFiles: Sendable {
        let environment: RuntimeAPIEnvironment

        /// The references of `name` (a file loaded both as a map and as an ACL has two) when one is of `kind`.
        private func references(_ name: String?, _ kind: PatternKind) -> Result<[PatternReference], CommandError> {
            guard let name else { return .failure(CommandError("Missing \(kind.label) identifier.")) }
            let references = environment.patternFiles.loadedReferences(
                named: name, baseDirectory: environment.baseDirectory)
            guard references.contains(where: { $0.isMap == kind.isMap }) else {
                return .failure(CommandError(kind.unknown))
            }
            return .success(references)
        }

        func show(_ kind: PatternKind, _ name: String?) -> String {
            guard let name else {
                let listed = environment.patternFiles.allReferences().filter { $0.isMap == kind.isMap }
                return "# id (file) description\n"
                    + listed.map { reference in
                        "-1 (\(reference.path)) pattern loaded from file '\(reference.path)' "
                            + "entry_cnt=\(reference.snapshot().entries.count)\n"
                    }.joined()
            }
            switch references(name, kind) {
            case .failure(let error): return error.message
            case .success(let references):
                let reference = references.first { $0.isMap == kind.isMap }!
                return reference.listing().map { id, entry in
                    "\(Self.format(id)) \(entry.key)" + (kind.isMap ? " \(entry.value)\n" : "\n")
                }.joined()
            }
        }

        func add(_ kind: PatternKind, _ request: CLIRequest) -> String {
            let usage =
                kind.isMap
                ? "'add map' expects three parameters (map identifier, key and value) or one parameter "
                    + "(map identifier) and a payload"
                : "'add acl' expects two parameters: ACL identifier and pattern."
            var entries: [(key: String, value: String)] = []
            if let payload = request.payload {
                guard request[2] != nil else { return usage }
                for line in payload.split(separator: "\n", omittingEmptySubsequences: true) {
                    let entry = Self.payloadEntry(line, isMap: kind.isMap)
                    if kind.isMap && entry.value.isEmpty { return "Missing value for key '\(entry.key)'." }
                    entries.append(entry)
                }
            } else {
                guard let key = request[3], !kind.isMap || request[4] != nil else { return usage }
                entries.append((key, request[4] ?? ""))
            }
            switch references(request[2], kind) {
            case .failure(let error): return error.message
            case .success(let references):
                if !kind.isMap, references.contains(where: \.isMap) {
                    return "This ACL is shared with a map containing samples. You must use the command 'add map' to "
                        + "add values."
                }
                for reference in references {
                    for entry in entries { reference.add(key: entry.key, value: reference.isMap ? entry.value : "") }
                }
                return ""
            }
        }

        func set(_ request: CLIRequest) -> String {
            guard let key = request[3], let value = request[4] else {
                return "'set map' expects three parameters: map identifier, key and value."
            }
            switch references(request[2], .map) {
            case .failure(let error): return error.message
            case .success(let references):
                if key.hasPrefix("#") {
                    guard let id = Self.entryID(key) else { return "Malformed identifier. Please use #<id> or <file>." }
                    let reference = references.first(where: \.isMap)!
                    return reference.replaceValue(ofEntry: id, with: value) ? "" : "entry not found."
                }
                var found = false
                for reference in references where reference.replaceValue(ofKey: key, with: value) { found = true }
                return found ? "" : "entry not found."
            }
        }

        func delete(_ kind: PatternKind, _ request: CLIRequest) -> String {
            guard request[2] != nil, let key = request[3] else {
                return "This command expects two parameters: \(kind.label) identifier and key."
            }
            switch references(request[2], kind) {
            case .failure(let error): return error.message
            case .success(let references):
                var found = false
                if key.hasPrefix("#") {
                    guard let id = Self.entryID(key) else { return "Malformed identifier. Please use #<id> or <file>." }
                    found = references.first { $0.isMap == kind.isMap }!.delete(entry: id)
                } else {
                    for reference in references where reference.delete(key: key) { found = true }
                }
                return found ? "" : "Key not found."
            }
        }

        func clear(_ kind: PatternKind, _ name: String?) -> String {
            switch references(name, kind) {
            case .failure(let error): return error.message
            case .success(let references):
                for reference in references { reference.removeAll() }
                return ""
            }
        }

        /// An entry's id as `show map` prints it.
        static func format(_ id: UInt64) -> String { "0x" + String(id, radix: 16) }

        /// `#0x<hex>` → the entry id.
        static func entryID(_ text: String) -> UInt64? {
            guard text.hasPrefix("#0x") else { return nil }
            return UInt64(text.dropFirst(3), radix: 16)
        }

        /// A payload line: the key up to the first blank, the value after the blanks that follow (a map), or the
        /// whole line (an ACL).
        static func payloadEntry(_ line: Substring, isMap: Bool) -> (key: String, value: String) {
            guard isMap else { return (String(line), "") }
            let key = line.prefix { $0 != " " && $0 != "\t" }
            let value = line.dropFirst(key.count).drop { $0 == " " || $0 == "\t" }
            return (String(key), String(value))
        }
    }
}
