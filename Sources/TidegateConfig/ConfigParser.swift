import Foundation

/// Turns lexed directives into a ``Configuration``: tracks sections, applies defaults, dispatches keywords
/// and collects every diagnostic. Feed it files in order with ``parse(text:file:)``, then call
/// ``finish()``.
struct ConfigParser {
    /// Which section the following lines belong to.
    enum OpenSection {
        case none
        case global
        /// `defaults`, `frontend`, `backend` or `listen`: lines go to ``ConfigParser/current``.
        case proxy
        /// A HAProxy section Tidegate does not support; its lines are skipped (the header was reported).
        case unsupported
    }

    /// HAProxy sections that are recognised but not supported, so that their bodies do not produce a
    /// cascade of unknown keyword errors.
    static let unsupportedSections: Set<String> = [
        "userlist", "peers", "resolvers", "mailers", "program", "http-errors", "ring", "cache",
        "fcgi-app", "crt-store", "traces", "log-forward", "dynamic-update",
    ]

    /// Keywords of the `global` section, for hints.
    static let globalKeywords: [String] = [
        "nbthread", "maxconn", "daemon", "pidfile", "log", "tune.bufsize", "tune.http.maxhdr", "tune.maxrewrite",
        "user", "group", "uid", "gid", "chroot", "quiet", "description", "node", "hard-stop-after", "grace",
        "default-path", "stats",
    ]

    let lexer: ConfigLexer
    let extensions: ConfigExtensionRegistry
    private(set) var diagnostics: [ConfigDiagnostic] = []
    var global = GlobalSettings()
    var files: [String] = []

    var section = OpenSection.none
    /// The defaults or proxy section being parsed.
    var current: ProxyDraft?
    /// Finished frontends, backends and listens, in file order.
    var proxies: [ProxyDraft] = []
    /// Where each proxy name was declared, per capability, for duplicate detection.
    var proxyDeclarations: [String: [(capabilities: ProxyCapabilities, location: ConfigLocation)]] = [:]
    /// The most recent defaults section, applied to proxies without `from`.
    var lastDefaults: ProxyDraft?
    /// Named defaults sections.
    var namedDefaults: [String: ProxyDraft] = [:]

    /// `default-path`: how relative file names (errorfile, return file, …) are resolved.
    var defaultPath: DefaultPath = .current
    /// The file currently being parsed.
    var currentFile = ""

    /// The `default-path` global setting.
    enum DefaultPath {
        case current
        case config
        case parent
        case origin(String)
    }

    init(environment: [String: String], extensions: ConfigExtensionRegistry) {
        self.lexer = ConfigLexer(environment: environment)
        self.extensions = extensions
    }

    // MARK: - Diagnostics

    mutating func alert(_ message: String, at location: ConfigLocation?) {
        diagnostics.append(.alert(message, at: location))
    }

    mutating func warning(_ message: String, at location: ConfigLocation?) {
        diagnostics.append(.warning(message, at: location))
    }

    mutating func report(_ diagnostic: ConfigDiagnostic) {
        diagnostics.append(diagnostic)
    }

    // MARK: - Input

    /// Parses one file's text. Sections do not continue across files: each file starts out of section,
    /// like HAProxy.
    mutating func parse(text: String, file: String) {
        files.append(file)
        currentFile = file
        let (directives, lexerDiagnostics) = lexer.directives(in: text, file: file)
        var pendingDiagnostics = lexerDiagnostics[...]
        for directive in directives {
            // Keep diagnostics in line order.
            while let first = pendingDiagnostics.first, let line = first.location?.line, line < directive.location.line
            {
                report(first)
                pendingDiagnostics = pendingDiagnostics.dropFirst()
            }
            consume(directive)
        }
        for diagnostic in pendingDiagnostics { report(diagnostic) }
        closeSection()
        section = .none
    }

    /// Handles one line.
    mutating func consume(_ directive: ConfigDirective) {
        let keyword = directive.keyword
        if let kind = ConfigSectionKind(rawValue: keyword) {
            startSection(kind, directive)
            return
        }
        if Self.unsupportedSections.contains(keyword) {
            closeSection()
            section = .unsupported
            alert("'\(keyword)' sections are not supported.", at: directive.location)
            return
        }
        switch section {
        case .none:
            alert("unknown keyword '\(keyword)' out of section.", at: directive.location)
        case .unsupported:
            break
        case .global:
            parseGlobal(directive)
        case .proxy:
            guard var draft = current else { return }
            current = nil
            parseProxyLine(directive, into: &draft)
            current = draft
        }
    }

    // MARK: - Sections

    /// Stores the section being parsed.
    mutating func closeSection() {
        guard let draft = current else { return }
        current = nil
        if draft.kind == .defaults {
            lastDefaults = draft
            if !draft.config.name.isEmpty {
                namedDefaults[draft.config.name] = draft
            }
        } else {
            proxies.append(draft)
        }
    }

    mutating func startSection(_ kind: ConfigSectionKind, _ directive: ConfigDirective) {
        closeSection()
        let location = directive.location
        let arguments = Array(directive.arguments)
        if kind == .global {
            section = .global
            if let extra = arguments.first {
                alert("'global' : unexpected argument '\(extra)'.", at: location)
            }
            return
        }
        section = .proxy

        // Header: <name> [from <defaults>]; the name is optional for defaults.
        var name = ""
        var rest = arguments[...]
        if let first = rest.first, first != "from" || kind != .defaults {
            name = first
            rest = rest.dropFirst()
        }
        var fromName: String?
        if let word = rest.first {
            if word == "from" {
                if rest.count == 2 {
                    fromName = rest.last
                } else {
                    alert(
                        "'\(kind.rawValue) \(name)' : 'from' expects exactly one defaults section name.",
                        at: location
                    )
                }
            } else {
                alert(
                    "'\(kind.rawValue) \(name)' : unexpected argument '\(word)' (only 'from <defaults>' may follow "
                        + "the name).",
                    at: location
                )
            }
        }
        if kind != .defaults && name.isEmpty {
            alert("'\(kind.rawValue)' expects a <name> argument.", at: location)
        }
        if let bad = Self.invalidNameCharacter(name) {
            alert("character '\(bad)' is not permitted in '\(kind.rawValue)' name '\(name)'.", at: location)
        }

        // Inheritance.
        var template: ProxyDraft?
        var templateName: String?
        if let fromName {
            if let named = namedDefaults[fromName] {
                template = named
                templateName = fromName
            } else {
                alert(
                    "'\(kind.rawValue) \(name)' : unable to find defaults section '\(fromName)' referenced by 'from'.",
                    at: location
                )
            }
        } else if let lastDefaults {
            template = lastDefaults
            templateName = lastDefaults.config.name
        }

        if kind == .defaults {
            if !name.isEmpty, let previous = namedDefaults[name] {
                warning(
                    "defaults section '\(name)' replaces the one declared at \(previous.config.location).",
                    at: location
                )
            }
            if let template, fromName != nil {
                current = template.inherited(
                    kind: .defaults,
                    name: name,
                    location: location,
                    defaultsName: templateName ?? ""
                )
            } else {
                current = ProxyDraft(kind: .defaults, name: name, location: location)
            }
            return
        }

        // Duplicate names among proxies sharing a capability.
        let capabilities = kind.capabilities
        if !name.isEmpty {
            for previous in proxyDeclarations[name] ?? []
            where !previous.capabilities.intersection(capabilities).isEmpty {
                let what = ConfigSectionKind.capabilityName(previous.capabilities.intersection(capabilities))
                alert(
                    "\(kind.rawValue) '\(name)' has the same name as another \(what) declared at \(previous.location).",
                    at: location
                )
                break
            }
            proxyDeclarations[name, default: []].append((capabilities, location))
        }
        if let template {
            current = template.inherited(kind: kind, name: name, location: location, defaultsName: templateName ?? "")
        } else {
            current = ProxyDraft(kind: kind, name: name, location: location)
        }
    }

    /// HAProxy's rule for proxy, server and ACL names: letters, digits, `-`, `_`, `.`, `:`.
    static func invalidNameCharacter(_ name: String) -> Character? {
        name.first { !($0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0))) }
    }

    // MARK: - Files

    /// Resolves a file name given in the configuration according to `default-path`.
    func resolvePath(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        let base: String
        switch defaultPath {
        case .current:
            return path
        case .config:
            base = (currentFile as NSString).deletingLastPathComponent
        case .parent:
            base = ((currentFile as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        case .origin(let origin):
            base = origin
        }
        return base.isEmpty ? path : (base as NSString).appendingPathComponent(path)
    }

    /// Reads a file referenced by the configuration, or explains why it cannot be read.
    func readReferencedFile(_ path: String) -> Result<String, ConfigValueError> {
        let resolved = resolvePath(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else {
            return .failure(ConfigValueError("error opening file '\(resolved)' : No such file or directory"))
        }
        guard !isDirectory.boolValue else {
            return .failure(ConfigValueError("error opening file '\(resolved)' : Is a directory"))
        }
        guard let data = FileManager.default.contents(atPath: resolved) else {
            return .failure(ConfigValueError("error opening file '\(resolved)' : Permission denied or unreadable"))
        }
        return .success(String(decoding: data, as: UTF8.self))
    }
}
