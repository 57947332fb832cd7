import Logging
import NIOCore
import SPOP

/// One worker: an event loop with its own script interpreters, the handlers they registered, its connections
/// and its counters. Everything here is confined to `eventLoop` (no locks on the request path).
final class SPOAWorker {
    let eventLoop: any EventLoop
    let index: Int
    let logger: Logger
    let configuration: SPOAConfiguration
    var statistics = SPOAStatistics()
    /// Message name → the handler registered last for it (a later registration replaces an earlier one).
    private(set) var routes: [String: SPOAMessageRoute] = [:]
    private var engines: [any SPOAScriptEngine] = []
    private var lua: SPOALuaEngine?
    private var python: SPOAPythonEngine?
    private let pythonHost: SPOAPythonHost?
    /// Open connections, for graceful shutdown.
    var connections: [ObjectIdentifier: SPOAConnectionHandler] = [:]
    /// Called when the last connection closes while draining.
    var onDrained: (() -> Void)?

    init(
        eventLoop: any EventLoop, index: Int, configuration: SPOAConfiguration, logger: Logger,
        python: SPOAPythonHost? = nil
    ) {
        self.eventLoop = eventLoop
        self.pythonHost = python
        self.index = index
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "tg.spoa.worker"] = "\(index)"
        self.logger = logger
    }

    /// Loads every script in order, each in the engine its extension names.
    func loadScripts(_ paths: [String]) throws {
        for path in paths {
            let engine = try engine(for: path)
            try engine.load(path: path)
        }
    }

    private func engine(for path: String) throws -> any SPOAScriptEngine {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".lua") || lowered.hasSuffix(".luac") {
            if let lua { return lua }
            let engine = try SPOALuaEngine(worker: self)
            lua = engine
            engines.append(engine)
            return engine
        }
        if lowered.hasSuffix(".py"), let pythonHost {
            if let python { return python }
            let engine = SPOAPythonEngine(host: pythonHost, worker: self)
            python = engine
            engines.append(engine)
            return engine
        }
        throw SPOAScriptError(path: path, message: "unknown script type (expected .lua, .luac or .py)")
    }

    /// Called by an engine when a script registers `name`.
    func register(_ name: String, engine: any SPOAScriptEngine, handler: Int) {
        if let previous = routes[name], previous.engine !== engine || previous.handler != handler {
            logger.notice("message '\(name)' registered again: the last registration wins")
        }
        routes[name] = SPOAMessageRoute(engine: engine, handler: handler)
    }

    /// Names with a handler.
    var registeredMessages: [String] { routes.keys.sorted() }

    func connectionOpened(_ handler: SPOAConnectionHandler) {
        connections[ObjectIdentifier(handler)] = handler
        statistics.connections += 1
        statistics.activeConnections += 1
    }

    func connectionClosed(_ handler: SPOAConnectionHandler) {
        guard connections.removeValue(forKey: ObjectIdentifier(handler)) != nil else { return }
        statistics.activeConnections -= 1
        if connections.isEmpty, let onDrained {
            self.onDrained = nil
            onDrained()
        }
    }

    /// Asks every connection to finish its in-flight frames, send AGENT-DISCONNECT and close; `done` runs once
    /// all are closed (at once if there are none).
    func drain(done: @escaping () -> Void) {
        guard !connections.isEmpty else {
            done()
            return
        }
        onDrained = done
        for handler in connections.values {
            handler.beginDraining()
        }
    }
}
