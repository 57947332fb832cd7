import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A running agent: its workers (one per event loop, scripts loaded), its listeners, and the way to stop it.
///
/// `start` loads the scripts in every worker, then binds; `shutdown` stops accepting, lets every connection
/// finish its in-flight frames and say AGENT-DISCONNECT (closing those that take longer than the grace period),
/// then stops the event loops if the agent created them.
public final class SPOAAgent: Sendable {
    public let configuration: SPOAConfiguration
    /// The addresses bound, in the order of `configuration.listen` (with the real port when 0 was asked).
    public let localAddresses: [SocketAddress]
    private let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let workers: [NIOLoopBound<SPOAWorker>]
    private let listeners: [any Channel]
    private let python: SPOAPythonHost?
    private let logger: Logger
    /// Set by the first `shutdown()`: later calls return at once.
    private let stopping = Mutex(false)

    private init(
        configuration: SPOAConfiguration, group: MultiThreadedEventLoopGroup, ownsGroup: Bool,
        workers: [NIOLoopBound<SPOAWorker>], listeners: [any Channel], python: SPOAPythonHost?, logger: Logger
    ) {
        self.python = python
        self.configuration = configuration
        self.group = group
        self.ownsGroup = ownsGroup
        self.workers = workers
        self.listeners = listeners
        self.localAddresses = listeners.compactMap(\.localAddress)
        self.logger = logger
    }

    /// Starts an agent. Without `group`, it makes one with `configuration.workers` threads and shuts it down in
    /// `shutdown()`; with one, each of its loops is a worker. Throws if a script fails to load or an address
    /// cannot be bound (nothing is left running then).
    public static func start(
        configuration: SPOAConfiguration, logger: Logger, group: MultiThreadedEventLoopGroup? = nil
    ) async throws -> SPOAAgent {
        let ownsGroup = group == nil
        let group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: configuration.workers)
        var python: SPOAPythonHost?
        do {
            // Python scripts run once for all workers (one interpreter per process).
            let pythonScripts = configuration.scripts.filter { $0.lowercased().hasSuffix(".py") }
            if !pythonScripts.isEmpty {
                python = try SPOAPythonHost(scripts: pythonScripts, threads: configuration.workers)
            }
            let pythonHost = python
            var workers: [NIOLoopBound<SPOAWorker>] = []
            for (index, loop) in group.makeIterator().enumerated() {
                let worker = try await loop.submit { () throws -> NIOLoopBound<SPOAWorker> in
                    let worker = SPOAWorker(
                        eventLoop: loop, index: index + 1, configuration: configuration, logger: logger,
                        python: pythonHost)
                    try worker.loadScripts(configuration.scripts)
                    return NIOLoopBound(worker, eventLoop: loop)
                }.get()
                workers.append(worker)
            }
            let first = workers[0]
            let registered = try await first.eventLoop.submit { first.value.registeredMessages }.get()
            let names = registered.isEmpty ? "(none)" : registered.joined(separator: ", ")
            logger.info(
                "loaded \(configuration.scripts.count) script(s) in \(workers.count) worker(s); messages: \(names)")
            var byLoop: [ObjectIdentifier: NIOLoopBound<SPOAWorker>] = [:]
            for worker in workers {
                byLoop[ObjectIdentifier(worker.eventLoop)] = worker
            }
            let workersByLoop = byLoop
            var listeners: [any Channel] = []
            do {
                for address in configuration.listen {
                    listeners.append(try await bind(address, group: group, workers: workersByLoop))
                    logger.info("listening on \(address)")
                }
            } catch {
                for listener in listeners { try? await listener.close() }
                throw error
            }
            return SPOAAgent(
                configuration: configuration, group: group, ownsGroup: ownsGroup, workers: workers,
                listeners: listeners, python: python, logger: logger)
        } catch {
            await python?.shutdown()
            if ownsGroup { try? await group.shutdownGracefully() }
            throw error
        }
    }

    private static func bind(
        _ address: SPOAListenAddress, group: MultiThreadedEventLoopGroup,
        workers: [ObjectIdentifier: NIOLoopBound<SPOAWorker>]
    ) async throws -> any Channel {
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let worker = workers[ObjectIdentifier(channel.eventLoop)]!.value
                    try channel.pipeline.syncOperations.addHandler(SPOAConnectionHandler(worker: worker))
                }
            }
        switch address {
        case .tcp(let host, let port):
            bootstrap = bootstrap.childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            return try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            return try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        }
    }

    /// The counters of all workers added up.
    public func statistics() async -> SPOAStatistics {
        var all: [SPOAStatistics] = []
        for worker in workers {
            if let one = try? await worker.eventLoop.submit({ worker.value.statistics }).get() {
                all.append(one)
            }
        }
        return SPOAStatistics.merged(all)
    }

    /// Graceful shutdown: stops accepting, lets connections answer their in-flight frames and send
    /// AGENT-DISCONNECT (closing, after `shutdownGracePeriod`, those still busy), then stops the event loops the
    /// agent owns.
    public func shutdown() async {
        guard stopping.withLock({ stopping in
            defer { stopping = true }
            return !stopping
        }) else { return }
        for listener in listeners {
            try? await listener.close()
        }
        let grace = TimeAmount.nanoseconds(
            Int64(configuration.shutdownGracePeriod.components.seconds) * 1_000_000_000
                + configuration.shutdownGracePeriod.components.attoseconds / 1_000_000_000)
        await withTaskGroup(of: Void.self) { tasks in
            for worker in workers {
                tasks.addTask {
                    let drained = worker.eventLoop.makePromise(of: Void.self)
                    worker.eventLoop.execute {
                        let timer = worker.eventLoop.assumeIsolated().scheduleTask(in: grace) {
                            for handler in worker.value.connections.values { handler.forceDisconnect() }
                        }
                        worker.value.drain {
                            timer.cancel()
                            drained.succeed()
                        }
                    }
                    try? await drained.futureResult.get()
                }
            }
        }
        logger.info("all connections closed")
        await python?.shutdown()
        if ownsGroup {
            try? await group.shutdownGracefully()
        }
    }
}
