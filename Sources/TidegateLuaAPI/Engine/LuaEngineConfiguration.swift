import TidegateConfig

/// The Lua part of the `global` section: scripts to load and the `tune.lua.*` settings, parsed from the directives
/// the configuration parser kept raw (`ConfigExtensionRegistry`).
public struct LuaEngineConfiguration: Sendable {
    public struct Script: Sendable {
        public var path: String
        public var arguments: [String]
        /// `lua-load-per-thread` (one state per event loop) rather than `lua-load` (the shared state).
        public var perThread: Bool
        public var location: ConfigLocation
    }

    public struct PrependedPath: Sendable {
        public var path: String
        /// `cpath` rather than `path`.
        public var isCPath: Bool
    }

    public var scripts: [Script] = []
    public var prependedPaths: [PrependedPath] = []
    /// `tune.lua.forced-yield`; nil: HAProxy's defaults (10000 per thread, max(500, 10000/nbthread) shared).
    public var forcedYield: Int?
    /// `tune.lua.maxmem` in bytes (0 = none). Tidegate applies it to each state (HAProxy: to all states together).
    public var maxMemory = 0
    /// `tune.lua.session-timeout`, `service-timeout`, `task-timeout`, `burst-timeout` in milliseconds (nil = none).
    public var sessionTimeout: Int? = 4000
    public var serviceTimeout: Int? = 4000
    public var taskTimeout: Int?
    public var burstTimeout: Int? = 1000
    /// `tune.lua.log.loggers`.
    public var logToLoggers = true
    /// `tune.lua.log.stderr`: on, off, or auto (stderr when no logger takes the message).
    public var logToStderr: StderrMode = .auto
    /// `tune.lua.bool-sample-conversion normal`.
    public var booleanSamples = false
    /// `httpclient.ssl.verify`: whether `core.httpclient()` checks the certificates of https servers (HAProxy's
    /// default: required).
    public var httpClientSSLVerify = true
    /// `httpclient.ssl.ca-file`: the CA certificates (PEM) https servers are checked against; nil: the system's.
    public var httpClientSSLCAFile: String?
    /// Where the last `httpclient.ssl.*` keyword is; nil without one. When set, a CA that cannot be loaded stops
    /// the process; without, https requests are disabled with a warning (as HAProxy).
    public var httpClientSSLLocation: ConfigLocation?

    public enum StderrMode: String, Sendable { case on, off, auto }

    public init() {}

    /// Whether any script is loaded.
    public var isEmpty: Bool { self.scripts.isEmpty }

    /// The keywords the engine owns (registered with `ConfigExtensionRegistry` so the parser keeps them).
    public static let keywords = [
        "lua-load", "lua-load-per-thread", "lua-prepend-path", "tune.lua.forced-yield", "tune.lua.maxmem",
        "tune.lua.session-timeout", "tune.lua.service-timeout", "tune.lua.task-timeout", "tune.lua.burst-timeout",
        "tune.lua.log.loggers", "tune.lua.log.stderr", "tune.lua.bool-sample-conversion", "httpclient.ssl.verify",
        "httpclient.ssl.ca-file",
    ]

    /// Registers the keywords, the `lua.` actions and the `lua.` services with the configuration parser.
    public static func register(in extensions: inout ConfigExtensionRegistry) {
        for keyword in self.keywords {
            extensions.registerKeyword(keyword, in: [.global])
        }
        extensions.registerActionPrefix("lua.", in: [
            .httpRequest, .httpResponse, .httpAfterResponse, .tcpRequestContent, .tcpResponseContent,
        ])
        extensions.registerServicePrefix("lua.")
    }

    /// Parses the engine's directives. Relative script paths are taken from `baseDirectory` when given.
    public static func parse(_ directives: [ConfigDirective], baseDirectory: String? = nil) -> (
        LuaEngineConfiguration, [ConfigDiagnostic]
    ) {
        var configuration = LuaEngineConfiguration()
        var diagnostics: [ConfigDiagnostic] = []
        func fail(_ directive: ConfigDirective, _ message: String) {
            diagnostics.append(.alert("'\(directive.keyword)' \(message)", at: directive.location))
        }
        func time(_ directive: ConfigDirective) -> Int?? {
            guard directive.words.count == 2 else {
                fail(directive, "expects a time value")
                return .none
            }
            switch ConfigValueParser.milliseconds(directive.words[1]) {
            case .success(let value): return .some(value == 0 ? nil : value)
            case .failure(let error):
                fail(directive, ": \(error.message)")
                return .none
            }
        }
        func onOff(_ directive: ConfigDirective) -> Bool? {
            guard directive.words.count == 2, ["on", "off"].contains(directive.words[1]) else {
                fail(directive, "expects 'on' or 'off'")
                return nil
            }
            return directive.words[1] == "on"
        }
        for directive in directives {
            let words = directive.words
            switch directive.keyword {
            case "lua-load", "lua-load-per-thread":
                guard words.count >= 2 else {
                    fail(directive, "expects a file name as parameter")
                    continue
                }
                var path = words[1]
                if let base = baseDirectory, !path.hasPrefix("/") {
                    path = base.hasSuffix("/") ? base + path : base + "/" + path
                }
                configuration.scripts.append(
                    Script(
                        path: path, arguments: Array(words.dropFirst(2)),
                        perThread: directive.keyword == "lua-load-per-thread", location: directive.location))
            case "lua-prepend-path":
                guard words.count == 2 || (words.count == 3 && ["path", "cpath"].contains(words[2])) else {
                    fail(directive, "expects a path and optionally 'path' or 'cpath'")
                    continue
                }
                configuration.prependedPaths.append(PrependedPath(path: words[1], isCPath: words.count == 3 && words[2] == "cpath"))
            case "tune.lua.forced-yield":
                guard words.count == 2, let value = Int(words[1]), value > 0 else {
                    fail(directive, "expects a strictly positive integer")
                    continue
                }
                configuration.forcedYield = value
            case "tune.lua.maxmem":
                guard words.count == 2, let megabytes = Int(words[1]), megabytes >= 0, megabytes < (1 << 40) else {
                    fail(directive, "expects an integer number of megabytes")
                    continue
                }
                configuration.maxMemory = megabytes * 1024 * 1024
            case "tune.lua.session-timeout":
                if let value = time(directive) { configuration.sessionTimeout = value }
            case "tune.lua.service-timeout":
                if let value = time(directive) { configuration.serviceTimeout = value }
            case "tune.lua.task-timeout":
                if let value = time(directive) { configuration.taskTimeout = value }
            case "tune.lua.burst-timeout":
                if let value = time(directive) { configuration.burstTimeout = value }
            case "tune.lua.log.loggers":
                if let value = onOff(directive) { configuration.logToLoggers = value }
            case "tune.lua.log.stderr":
                guard words.count == 2, let mode = StderrMode(rawValue: words[1]) else {
                    fail(directive, "expects 'on', 'auto' or 'off'")
                    continue
                }
                configuration.logToStderr = mode
            case "tune.lua.bool-sample-conversion":
                guard words.count == 2, ["normal", "pre-3.1-bug"].contains(words[1]) else {
                    fail(directive, "expects 'normal' or 'pre-3.1-bug'")
                    continue
                }
                if configuration.scripts.isEmpty == false {
                    fail(directive, "must be set before any 'lua-load' or 'lua-load-per-thread'")
                    continue
                }
                configuration.booleanSamples = words[1] == "normal"
            case "httpclient.ssl.verify":
                guard words.count == 2, ["none", "required"].contains(words[1]) else {
                    fail(directive, "expects 'none' or 'required' as argument")
                    continue
                }
                configuration.httpClientSSLVerify = words[1] == "required"
                configuration.httpClientSSLLocation = directive.location
            case "httpclient.ssl.ca-file":
                guard words.count == 2, !words[1].isEmpty else {
                    fail(directive, "expects a file name as argument")
                    continue
                }
                configuration.httpClientSSLCAFile = words[1]
                configuration.httpClientSSLLocation = directive.location
            default:
                continue
            }
        }
        return (configuration, diagnostics)
    }
}
