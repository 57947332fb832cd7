import NIOCore
import TidegateConfig
import TidegateCore
import TidegateLua

/// An error while creating the states or loading the scripts; the process must not start.
public struct LuaEngineError: Error, CustomStringConvertible {
    public let message: String
    public let location: ConfigLocation?
    public var description: String { self.message }
}

/// Receives the messages of the Lua engine and of the scripts (`core.log`, errors with tracebacks): a syslog level
/// 0...7 and the text. Called on the thread that runs the code.
public typealias LuaLogSink = @Sendable (_ level: Int, _ message: String) -> Void
/// Where a transaction's messages (`txn:log()`...) go: the loggers of its frontend, `proxy`.
public typealias LuaProxyLogSink = @Sendable (_ proxy: String, _ level: Int, _ message: String) -> Void

/// The Lua engine of a process: the shared state (`lua-load`, `core.thread == 0`, one lock) and one state per event
/// loop (`lua-load-per-thread`), each with HAProxy's API installed and its scripts loaded; the registrations the
/// scripts made; and what the proxy needs from them (`lua.<name>` actions, services, fetches and converters).
///
/// Created once before the loops start (`load`), then `runInit()`, then one `LuaLoopRuntime` per loop.
public final class LuaEngine: @unchecked Sendable {
    public let configuration: LuaEngineConfiguration
    let shared: LuaStateBox?
    /// Per-thread states by loop index (empty without `lua-load-per-thread`).
    let perThread: [LuaStateBox]
    let log: LuaLogSink
    /// Set before serving (by the proxy) to route transactions' messages to their frontend's loggers; without it
    /// they go where `log` sends them.
    public var proxyLog: LuaProxyLogSink?
    let options: LuaAPIOptions
    /// The number of event loops the engine was made for.
    public let loopCount: Int
    /// Warnings to print at startup (duplicate registrations...).
    public private(set) var warnings: [String] = []

    /// Creates the states and loads the scripts.
    /// - Parameters:
    ///   - loopCount: the number of event loops (HAProxy's nbthread).
    ///   - environment: the sample keywords Lua's `txn.f`/`txn.c` expose, and the pattern files `Map.new` and
    ///     `core.set_map`... share with the configuration.
    ///   - catalog: the proxies listed in `core.proxies`, `core.frontends` and `core.backends`.
    ///   - processVariables: the `proc.` variables `core.get_var` reads.
    public init(
        configuration: LuaEngineConfiguration, loopCount: Int, environment: SampleCompileEnvironment,
        catalog: ProxyCatalog = ProxyCatalog(proxies: []), processVariables: ProcessVariables = .shared,
        log: @escaping LuaLogSink
    ) throws(LuaEngineError) {
        self.configuration = configuration
        self.log = log
        self.loopCount = max(loopCount, 1)
        LuaEngineCore.loopCount = self.loopCount
        self.options = LuaAPIOptions(booleanSamples: configuration.booleanSamples)
        var tlsWarnings: [String] = []
        var ioOptions = LuaIOOptions(mapBaseDirectory: environment.baseDirectory, mapFiles: environment.files)
        do {
            ioOptions.httpClient.tlsContext = try LuaTLS.httpClientContext(
                verify: configuration.httpClientSSLVerify,
                caFile: configuration.httpClientSSLVerify ? configuration.httpClientSSLCAFile : nil)
        } catch {
            // As HAProxy: fatal when the httpclient.ssl keywords were set, else https is disabled with a warning.
            if let location = configuration.httpClientSSLLocation {
                throw LuaEngineError(message: "httpclient: \(error).", location: location)
            }
            tlsWarnings.append("httpclient: \(error). Disabling SSL.")
        }
        let sharedScripts = configuration.scripts.filter { !$0.perThread }
        let threadScripts = configuration.scripts.filter(\.perThread)
        var shared: LuaStateBox?
        if !sharedScripts.isEmpty {
            let box = try Self.makeState(
                thread: 0, shared: true, configuration: configuration, environment: environment, ioOptions: ioOptions,
                catalog: catalog, processVariables: processVariables, log: log)
            try Self.load(sharedScripts, into: box)
            shared = box
        }
        var perThread: [LuaStateBox] = []
        if !threadScripts.isEmpty {
            for index in 0..<max(loopCount, 1) {
                let box = try Self.makeState(
                    thread: index + 1, shared: false, configuration: configuration, environment: environment,
                    ioOptions: ioOptions, catalog: catalog, processVariables: processVariables, log: log)
                try Self.load(threadScripts, into: box)
                perThread.append(box)
            }
        }
        self.shared = shared
        self.perThread = perThread
        for box in self.allStates {
            box.registrations.loading = false
        }
        self.warnings = tlsWarnings + (shared.map { [$0] } ?? []).flatMap { $0.registrations.warnings }
            + (perThread.first?.registrations.warnings ?? [])
        try self.checkRegistrations()
    }

    var allStates: [LuaStateBox] { (self.shared.map { [$0] } ?? []) + self.perThread }

    // MARK: States

    private static func makeState(
        thread: Int, shared: Bool, configuration: LuaEngineConfiguration, environment: SampleCompileEnvironment,
        ioOptions: LuaIOOptions, catalog: ProxyCatalog, processVariables: ProcessVariables, log: @escaping LuaLogSink
    ) throws(LuaEngineError) -> LuaStateBox {
        do {
            let state = try LuaState(maxMemory: configuration.maxMemory)
            let box = LuaStateBox(state: state, thread: thread, shared: shared)
            var core = try CoreModule.make(for: state, environment: CoreEnvironment(thread: thread, log: log))
            box.registrations.install(into: &core)
            LuaEngineCore.install(into: &core, box: box, catalog: catalog)
            try LuaIOBindings.register(
                in: state, core: &core, options: ioOptions,
                objectCreated: { [unowned(unsafe) box] handle in
                    // Sockets, clients and queues made for a transaction end with it; the others live with the state.
                    box.current?.objects.append((box.state, handle))
                },
                currentContext: { [unowned(unsafe) box] in box.currentContext })
            try LuaProxyBindings.register(in: state, core: &core, catalog: catalog)
            LuaProcessData.install(
                into: &core, variables: processVariables, files: environment.files,
                baseDirectory: environment.baseDirectory,
                options: LuaAPIOptions(booleanSamples: configuration.booleanSamples))
            try state.setGlobal("core", module: core)
            try CoreModule.installRegex(in: state)
            try LuaAppletBindings.register(in: state)
            box.txnRuntime = try LuaTXNBindings.register(
                in: state, fetches: environment.fetches, converters: environment.converters, environment: environment)
            for prepended in configuration.prependedPaths {
                let field = prepended.isCPath ? "cpath" : "path"
                try state.run(
                    chunk: "package.\(field) = ... .. ';' .. package.\(field)", name: "lua-prepend-path",
                    arguments: [LuaValue(prepended.path)])
            }
            return box
        } catch {
            throw LuaEngineError(message: "cannot create a Lua state: \(error)", location: nil)
        }
    }

    private static func load(_ scripts: [LuaEngineConfiguration.Script], into box: LuaStateBox) throws(LuaEngineError) {
        for script in scripts {
            do {
                let chunk = try box.state.loadFile(path: script.path)
                _ = try chunk.call(script.arguments.map { LuaValue($0) })
            } catch {
                var message = "Lua runtime error while loading '\(script.path)': \(error.message)"
                if error.code == .file || error.code == .syntax {
                    message = "error in Lua file '\(script.path)': \(error.message)"
                }
                throw LuaEngineError(message: message, location: script.location)
            }
        }
    }

    /// HAProxy refuses a name registered both in the shared state and in the per-thread states.
    private func checkRegistrations() throws(LuaEngineError) {
        guard let shared, let first = self.perThread.first else { return }
        let clashes =
            Set(shared.registrations.actions.keys).intersection(first.registrations.actions.keys)
            .union(Set(shared.registrations.fetches.keys).intersection(first.registrations.fetches.keys))
            .union(Set(shared.registrations.converters.keys).intersection(first.registrations.converters.keys))
            .union(Set(shared.registrations.services.keys).intersection(first.registrations.services.keys))
            .union(
                Set(shared.registrations.cliOrder).intersection(first.registrations.cliOrder).map {
                    $0.joined(separator: ".")
                })
        if let name = clashes.sorted().first {
            throw LuaEngineError(
                message: "Lua function 'lua.\(name)' is registered both by lua-load and by lua-load-per-thread",
                location: nil)
        }
    }

    /// The state that runs `lua.<name>`: the shared one if it registered the name, else the loop's own.
    func box<Key: Hashable, Value>(
        for name: Key, loop: Int, in table: (LuaRegistrations) -> [Key: Value]
    ) -> (LuaStateBox, Value)? {
        if let shared, let value = table(shared.registrations)[name] { return (shared, value) }
        guard !self.perThread.isEmpty else { return nil }
        let box = self.perThread[loop % self.perThread.count]
        return table(box.registrations)[name].map { (box, $0) }
    }

    // MARK: Startup

    /// Runs the `core.register_init` functions of every state, in registration order, to completion (no yields).
    public func runInit() throws(LuaEngineError) {
        for box in self.allStates {
            for function in box.registrations.initFunctions {
                do {
                    _ = try box.withState { _ throws(LuaError) in try function.call() }
                } catch {
                    throw LuaEngineError(message: "Lua init: \(error.message)", location: nil)
                }
            }
        }
    }

    /// The forced-yield budget for a state (HAProxy: 10000, and max(500, 10000/nbthread) for the shared state).
    func forcedYield(for box: LuaStateBox, loopCount: Int) -> Int {
        if let value = self.configuration.forcedYield { return value }
        return box.lock == nil ? 10_000 : max(500, 10_000 / max(loopCount, 1))
    }
}
