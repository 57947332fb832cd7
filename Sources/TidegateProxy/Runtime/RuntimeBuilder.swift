import NIOCore
import TidegateConfig
import TidegateCore
import TidegateLuaAPI
import TidegateRuntime

/// What the proxy needs to start: the runtime and the addresses each frontend listens on.
public struct ProxyPlan: Sendable {
    public var runtime: ProxyRuntime
    public var listeners: [(frontend: FrontendRuntime, address: ListenAddress)]
    public var threadCount: Int
    /// The runtime API's sockets (`stats socket`) and timeout.
    public var runtimeAPI: RuntimeAPIConfiguration
    /// What the runtime API's commands act on (sections, servers, the map and ACL files the rules loaded).
    public var runtimeAPIEnvironment: RuntimeAPIEnvironment
}

/// Turns a parsed `Configuration` into the objects the data path uses: resolves addresses,
/// compiles rules, builds backends and frontends. Every problem is reported with its file:line.
public struct RuntimeBuilder {
    public let configuration: Configuration
    private var diagnostics: [ConfigDiagnostic] = []
    /// The sample keywords rules may use: the built-in ones plus the Lua `lua.<name>` fetches and converters.
    private var environment = SampleCompileEnvironment.standard
    private var lua: LuaEngine?
    private var luaLog: LuaLogRouter?

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The keywords and actions the parser must accept for the modules the builder wires in (Lua).
    public static var configExtensions: ConfigExtensionRegistry {
        var extensions = ConfigExtensionRegistry()
        LuaEngineConfiguration.register(in: &extensions)
        return extensions
    }

    /// Builds the plan, or returns the alerts that prevent it.
    public static func build(_ configuration: Configuration, defaultThreads: Int) -> Result<ProxyPlan, BuildFailure> {
        var builder = RuntimeBuilder(configuration: configuration)
        let plan = builder.makePlan(defaultThreads: defaultThreads)
        if let plan, !builder.diagnostics.contains(where: { $0.severity == .alert }) {
            return .success(plan)
        }
        return .failure(BuildFailure(diagnostics: builder.diagnostics))
    }

    /// The alerts that stopped the build.
    public struct BuildFailure: Error, Sendable {
        public var diagnostics: [ConfigDiagnostic]
    }

    private mutating func alert(_ message: String, at location: ConfigLocation?) {
        diagnostics.append(.alert(message, at: location))
    }

    private mutating func makePlan(defaultThreads: Int) -> ProxyPlan? {
        let global = configuration.global
        var tuning = Tuning()
        tuning.bufferSize = global.bufferSize
        tuning.maxRewrite = global.maxRewrite
        tuning.maxHeaderFields = global.maxHeaderCount
        let threadCount = global.threadCount ?? defaultThreads

        // Servers and listeners first: scripts see them in `core.proxies` from their body on.
        let models = makeBackends()
        let listenersByProxy = makeListeners()
        let catalog = makeCatalog(backends: models, listeners: listenersByProxy)
        loadLua(threadCount: threadCount, catalog: catalog)

        // Rules of every section next (a listen section's rules serve both halves).
        let table = BackendTable()
        var rulesByProxy: [Int: ProxyRules] = [:]
        for (proxyID, proxy) in configuration.proxies.enumerated() where !proxy.isDisabled {
            rulesByProxy[proxyID] = compileRules(proxy, table: table)
        }

        // Backends next: frontends refer to them.
        var backends: [BackendRuntime] = []
        for (proxyID, backend) in models {
            let proxy = configuration.proxies[proxyID]
            backends.append(
                BackendRuntime(
                    proxyID: proxyID, backend: backend, mode: proxy.mode, timeouts: streamTimeouts(proxy.timeouts),
                    retries: proxy.retries, redispatch: proxy.redispatch,
                    forwardFor: forwardFor(proxy.forwardFor, location: proxy.location),
                    connectionMode: proxy.httpConnectionMode, rules: rulesByProxy[proxyID] ?? ProxyRules(),
                    errorPages: errorPages(proxy)))
        }
        table.fill(backends)
        func backendNamed(_ name: String) -> BackendRuntime? { backends.first { $0.name == name } }

        var frontends: [FrontendRuntime] = []
        var listeners: [(FrontendRuntime, ListenAddress)] = []
        for (proxyID, proxy) in configuration.proxies.enumerated() where proxy.capabilities.contains(.frontend) {
            guard !proxy.isDisabled else { continue }
            var defaultBackend: BackendRuntime?
            if proxy.capabilities.contains(.backend) {
                defaultBackend = backends.first { $0.proxyID == proxyID }
            }
            if let name = proxy.defaultBackend {
                defaultBackend = backendNamed(name)
                if defaultBackend == nil { alert("unable to find required default_backend: '\(name)'.", at: proxy.location) }
            }
            if let backend = defaultBackend, backend.mode != proxy.mode {
                alert(
                    "unable to use backend '\(backend.name)' (mode \(backend.mode.rawValue)) from frontend '\(proxy.name)' (mode \(proxy.mode.rawValue)).",
                    at: proxy.location)
            }
            if proxy.binds.isEmpty {
                diagnostics.append(.warning("frontend '\(proxy.name)' has no 'bind' directive.", at: proxy.location))
            }
            let frontend = FrontendRuntime(
                proxyID: proxyID, name: proxy.name, mode: proxy.mode, timeouts: streamTimeouts(proxy.timeouts),
                maxConnections: proxy.maxConnections ?? 0, defaultBackend: defaultBackend,
                rules: rulesByProxy[proxyID] ?? ProxyRules(), connectionMode: proxy.httpConnectionMode,
                log: makeLog(proxy), errorPages: errorPages(proxy),
                forwardFor: forwardFor(proxy.forwardFor, location: proxy.location))
            frontends.append(frontend)
            for listen in listenersByProxy[proxyID] ?? [] {
                listeners.append((frontend, listen))
            }
        }
        luaLog?.attach(frontends: frontends)
        let runtime = ProxyRuntime(
            frontends: frontends, backends: backends, tuning: tuning, maxConnections: global.maxConnections ?? 0,
            lua: lua, luaLog: luaLog, catalog: catalog, node: global.node, processDescription: global.description)
        checkLuaCLICommands()
        return ProxyPlan(
            runtime: runtime, listeners: listeners, threadCount: threadCount,
            runtimeAPI: RuntimeAPIConfiguration(global),
            runtimeAPIEnvironment: RuntimeAPIEnvironment(
                catalog: catalog, patternFiles: environment.files, baseDirectory: environment.baseDirectory))
    }

    /// The servers and balancing of every enabled backend and listen section, by section index. `Backend.index`
    /// is the position in this list (and in `ProxyRuntime.backends`).
    private mutating func makeBackends() -> [(proxyID: Int, backend: Backend)] {
        var backends: [(proxyID: Int, backend: Backend)] = []
        var serverIndex = 0
        for (proxyID, proxy) in configuration.proxies.enumerated() where proxy.capabilities.contains(.backend) {
            guard !proxy.isDisabled else { continue }
            var servers: [Server] = []
            for (position, config) in proxy.servers.enumerated() {
                guard let address = resolve(config.address, location: config.location, what: "server '\(config.name)'")
                else { continue }
                let parameters = config.parameters
                servers.append(
                    Server(
                        globalIndex: serverIndex, id: config.id ?? position + 1, name: config.name,
                        backendName: proxy.name, address: address, addressText: config.address.description,
                        weight: parameters.weight, maxConnections: parameters.maxConnections ?? 0,
                        isBackup: parameters.isBackup, disabled: parameters.isDisabled, hasForcedID: config.id != nil))
                serverIndex += 1
            }
            let backend = Backend(
                index: backends.count, name: proxy.name, servers: servers, algorithm: proxy.balance,
                hashType: proxy.hashType, allBackups: proxy.allBackups)
            backends.append((proxyID, backend))
        }
        return backends
    }

    /// The listening addresses of every enabled frontend and listen section, by section index, each with its
    /// `Listener` (HAProxy's names: the bind's `name`, else `sock-<n>`).
    private mutating func makeListeners() -> [Int: [ListenAddress]] {
        var result: [Int: [ListenAddress]] = [:]
        for (proxyID, proxy) in configuration.proxies.enumerated() where proxy.capabilities.contains(.frontend) {
            guard !proxy.isDisabled else { continue }
            var addresses: [ListenAddress] = []
            var unnamed = 0
            for bind in proxy.binds {
                for address in bind.addresses {
                    for var listen in listenAddresses(address, bind: bind) {
                        var name = bind.name
                        if name == nil {
                            unnamed += 1
                            name = "sock-\(unnamed)"
                        }
                        listen.listener = Listener(
                            frontendName: proxy.name, id: addresses.count + 1, name: name!,
                            addressText: listen.description)
                        addresses.append(listen)
                    }
                }
            }
            result[proxyID] = addresses
        }
        return result
    }

    /// The sections as the Lua API lists them, with HAProxy's proxy ids.
    private func makeCatalog(backends: [(proxyID: Int, backend: Backend)], listeners: [Int: [ListenAddress]])
        -> ProxyCatalog
    {
        let uuids = ProxyCatalog.assignUUIDs(configuration.proxies.map(\.id))
        var proxies: [ProxyDescriptor] = []
        for (proxyID, proxy) in configuration.proxies.enumerated() where !proxy.isDisabled {
            proxies.append(
                ProxyDescriptor(
                    uuid: uuids[proxyID], name: proxy.name, capabilities: proxy.capabilities, mode: proxy.mode,
                    backend: backends.first { $0.proxyID == proxyID }?.backend,
                    listeners: (listeners[proxyID] ?? []).compactMap(\.listener),
                    maxConnections: proxy.capabilities.contains(.frontend) ? proxy.maxConnections ?? 0 : 0,
                    hasForcedID: proxy.id != nil))
        }
        return ProxyCatalog(proxies: proxies)
    }

    /// Creates the Lua states and loads the scripts (`lua-load`, `lua-load-per-thread`), so that rules can use the
    /// actions, services, fetches and converters they register.
    private mutating func loadLua(threadCount: Int, catalog: ProxyCatalog) {
        let (luaConfiguration, problems) = LuaEngineConfiguration.parse(configuration.global.extensionDirectives)
        diagnostics.append(contentsOf: problems)
        guard !luaConfiguration.isEmpty, problems.isEmpty else { return }
        let router = LuaLogRouter(configuration: luaConfiguration, globalTargets: configuration.global.logTargets)
        luaLog = router
        do {
            let engine = try LuaEngine(
                configuration: luaConfiguration, loopCount: threadCount, environment: environment, catalog: catalog,
                log: router.globalSink)
            engine.proxyLog = router.proxySink
            for warning in engine.warnings {
                diagnostics.append(.warning(warning, at: nil))
            }
            engine.addSampleKeywords(to: &environment)
            lua = engine
        } catch {
            alert(error.message, at: error.location)
        }
    }

    /// A Lua `core.register_cli` command may not take the words of a built-in runtime API command.
    private mutating func checkLuaCLICommands() {
        for command in lua?.cliCommands ?? [] where RuntimeCommands.builtinWords.contains(command.words) {
            alert(
                "Lua cli '\(command.words.joined(separator: "."))': the runtime API command "
                    + "'\(command.words.joined(separator: " "))' already exists.",
                at: nil)
        }
    }

    /// Compiles the ACLs and rules of one section; problems become alerts at their line.
    private mutating func compileRules(_ proxy: ProxyConfiguration, table: BackendTable) -> ProxyRules {
        let environment = self.environment
        var acls = ACLSet()
        for definition in proxy.acls {
            do {
                for warning in try acls.define(name: definition.name, words: definition.words, environment: environment) {
                    diagnostics.append(.warning(warning, at: definition.location))
                }
            } catch {
                alert("error detected while parsing ACL '\(definition.name)' : \(error).", at: definition.location)
            }
        }
        func rules(_ list: [HTTPRule], _ facility: RuleFacility) -> HTTPRuleSet {
            switch HTTPRuleSet.compile(list, acls: acls, environment: environment, facility: facility) {
            case .success(let set): return set
            case .failure(let error):
                diagnostics.append(error)
                return HTTPRuleSet()
            }
        }
        func tcpRules(_ list: [TCPRule], _ facility: RuleFacility) -> TCPRuleSet {
            let programs = list.compactMap { rule -> TCPRuleProgram? in
                switch TCPRuleProgram.compile(
                    rule, acls: acls, environment: environment, facility: facility, allowsServices: proxy.mode == .tcp)
                {
                case .success(let program): return program
                case .failure(let error):
                    diagnostics.append(error)
                    return nil
                }
            }
            return TCPRuleSet(rules: programs, facility: facility)
        }
        if proxy.mode == .http, let first = proxy.tcpResponseContentRules.first {
            diagnostics.append(
                .warning(
                    "'tcp-response content' rules are only evaluated in mode tcp; they are ignored in mode http.",
                    at: first.location))
        }
        var switching: [BackendSwitchRule] = []
        for rule in proxy.backendRules {
            switch BackendSwitchRule.compile(rule, acls: acls, environment: environment) {
            case .success(let compiled): switching.append(compiled)
            case .failure(let error): diagnostics.append(error)
            }
        }
        return ProxyRules(
            tcpConnection: tcpRules(proxy.tcpRequestConnectionRules, .tcpRequest),
            tcpContent: tcpRules(proxy.tcpRequestContentRules, .tcpRequest),
            tcpResponseContent: tcpRules(proxy.tcpResponseContentRules, .tcpResponse),
            tcpRequestInspectDelay: proxy.tcpRequestInspectDelay.flatMap { $0 > 0 ? .milliseconds(Int64($0)) : nil },
            tcpResponseInspectDelay: proxy.tcpResponseInspectDelay.flatMap { $0 > 0 ? .milliseconds(Int64($0)) : nil },
            httpRequest: rules(proxy.httpRequestRules, .httpRequest),
            httpResponse: rules(proxy.httpResponseRules, .httpResponse),
            httpAfterResponse: rules(proxy.httpAfterResponseRules, .httpAfterResponse), backendSwitching: switching,
            backends: table)
    }

    /// The log format and targets of a frontend (nil when it logs nowhere).
    private mutating func makeLog(_ proxy: ProxyConfiguration) -> ProxyLog? {
        guard !proxy.logTargets.isEmpty else { return nil }
        let text: String
        if let custom = proxy.logFormat {
            text = custom
        } else if let httpLog = proxy.httpLog, proxy.mode == .http {
            text = httpLog == .clf ? LogFormat.httpLogCLFFormat : LogFormat.httpLogFormat
        } else if proxy.tcpLog || proxy.httpLog != nil {
            text = LogFormat.tcpLogFormat
        } else {
            // No log option: HAProxy logs one "Connect from ..." line per accepted connection.
            return ProxyLog(format: nil, targets: proxy.logTargets, dontLogNull: proxy.dontLogNull,
                separateErrors: proxy.logSeparateErrors, httpMode: proxy.mode == .http)
        }
        do {
            let format = try LogFormat(text, options: proxy.mode == .http ? .logFormat : .tcpLogFormat, environment: environment)
            return ProxyLog(format: format, targets: proxy.logTargets, dontLogNull: proxy.dontLogNull,
                separateErrors: proxy.logSeparateErrors, httpMode: proxy.mode == .http)
        } catch {
            alert("invalid log-format: \(error)", at: proxy.location)
            return nil
        }
    }

    private func streamTimeouts(_ t: TidegateConfig.ProxyTimeouts) -> StreamTimeouts {
        var timeouts = StreamTimeouts()
        timeouts.connect = StreamTimeouts.amount(t.connect)
        timeouts.client = StreamTimeouts.amount(t.client)
        timeouts.server = StreamTimeouts.amount(t.server)
        timeouts.httpRequest = StreamTimeouts.amount(t.httpRequest)
        timeouts.httpKeepAlive = StreamTimeouts.amount(t.httpKeepAlive)
        timeouts.queue = StreamTimeouts.amount(t.queue)
        timeouts.tunnel = StreamTimeouts.amount(t.tunnel)
        timeouts.clientFin = StreamTimeouts.amount(t.clientFin)
        timeouts.serverFin = StreamTimeouts.amount(t.serverFin)
        return timeouts
    }

    private mutating func forwardFor(_ option: ForwardForOption?, location: ConfigLocation) -> ForwardFor? {
        guard let option else { return nil }
        var except: [(address: [UInt8], prefix: Int)] = []
        if let network = option.exceptNetwork {
            if let parsed = Self.parseNetwork(network) {
                except.append(parsed)
            } else {
                alert("option forwardfor: invalid network '\(network)' after 'except'.", at: location)
            }
        }
        return ForwardFor(headerName: option.header, ifNone: option.ifNone, except: except)
    }

    /// Parses `a.b.c.d[/n]`, `a.b.c.d/m.m.m.m` or an IPv6 network.
    static func parseNetwork(_ text: String) -> (address: [UInt8], prefix: Int)? {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = try? SocketAddress(ipAddress: parts[0], port: 0), let bytes = address.addressBytes else {
            return nil
        }
        var prefix = bytes.count * 8
        if parts.count == 2 {
            if let n = Int(parts[1]), n >= 0, n <= prefix {
                prefix = n
            } else if let mask = try? SocketAddress(ipAddress: parts[1], port: 0), let maskBytes = mask.addressBytes,
                maskBytes.count == bytes.count
            {
                prefix = maskBytes.reduce(0) { $0 + $1.nonzeroBitCount }
            } else {
                return nil
            }
        }
        return (bytes, prefix)
    }

    private mutating func errorPages(_ proxy: ProxyConfiguration) -> ErrorPages {
        var custom: [Int: ByteBuffer] = [:]
        for (code, contents) in proxy.errorFiles {
            custom[code] = ByteBuffer(string: contents)
        }
        return ErrorPages(custom: custom)
    }

    /// Resolves a server address (hostnames through the system resolver, once, at startup).
    private mutating func resolve(_ address: ConfigAddress, location: ConfigLocation, what: String) -> SocketAddress? {
        switch address {
        case .unix(let path):
            do { return try SocketAddress(unixDomainSocketPath: path) } catch {
                alert("\(what): invalid unix socket path '\(path)'.", at: location)
                return nil
            }
        case .fileDescriptor:
            alert("\(what): 'fd@' addresses are only valid on 'bind' lines.", at: location)
            return nil
        case .inet(let host, let port):
            guard case .single(let portNumber) = port else {
                alert("\(what): a single port is required in '\(address)' (port ranges and offsets are not supported for servers).", at: location)
                return nil
            }
            do {
                switch host {
                case .ipv4(let text), .ipv6(let text):
                    return try SocketAddress(ipAddress: text, port: portNumber)
                case .hostname(let name):
                    return try SocketAddress.makeAddressResolvingHost(name, port: portNumber)
                }
            } catch {
                alert("\(what): could not resolve address '\(host)'.", at: location)
                return nil
            }
        }
    }

    private mutating func listenAddresses(_ address: ConfigAddress, bind: BindConfiguration) -> [ListenAddress] {
        let backlog = bind.backlog ?? (configuration.global.maxConnections.map { min($0, 65535) } ?? 4096)
        switch address {
        case .unix(let path):
            return [ListenAddress(kind: .unix(path: path, mode: bind.socketMode), backlog: backlog, name: bind.name)]
        case .fileDescriptor(let fd):
            return [ListenAddress(kind: .inherited(Int32(fd)), backlog: backlog, name: bind.name)]
        case .inet(let host, let port):
            let ports: [Int]
            switch port {
            case .single(let p): ports = [p]
            case .range(let range): ports = Array(range)
            case .offset, nil:
                alert("bind '\(address)': a port or port range is required.", at: bind.location)
                return []
            }
            var result: [ListenAddress] = []
            for p in ports {
                do {
                    let socketAddress: SocketAddress
                    switch host {
                    case .ipv4(let text):
                        socketAddress = try SocketAddress(ipAddress: text.isEmpty || text == "*" ? "0.0.0.0" : text, port: p)
                    case .ipv6(let text):
                        socketAddress = try SocketAddress(ipAddress: text, port: p)
                    case .hostname(let name):
                        socketAddress = try SocketAddress.makeAddressResolvingHost(name, port: p)
                    }
                    result.append(ListenAddress(kind: .inet(socketAddress), backlog: backlog, name: bind.name))
                } catch {
                    alert("bind '\(address)': cannot resolve address.", at: bind.location)
                }
            }
            return result
        }
    }
}
