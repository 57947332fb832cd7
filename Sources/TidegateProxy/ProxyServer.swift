import Logging
import NIOCore
import NIOPosix
import TidegateCore
import TidegateRuntime
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Runs a proxy plan: event loops, listeners, and the process signals HAProxy users expect.
///
/// - SIGUSR1: soft stop — stop listening, let in-flight streams finish, close idle keep-alive
///   connections, exit when none is left (or after `hard-stop-after`).
/// - SIGTERM, SIGINT: hard stop — close everything now.
/// - SIGTTOU / SIGTTIN: pause / resume the listeners (used by a reloading process with `-sf`).
public final class ProxyServer: Sendable {
    public let plan: ProxyPlan
    private let logger: Logger
    private let listeners: ListenerSet
    private let hardStopAfter: TimeAmount?

    /// - Parameter takeOverFrom: processes being replaced (`-sf`/`-st`): their listening sockets
    ///   are taken over instead of opening new ones, so no queued connection is lost.
    public init(plan: ProxyPlan, hardStopAfter: TimeAmount?, takeOverFrom: [Int32] = [], logger: Logger) {
        self.plan = plan
        self.logger = logger
        self.hardStopAfter = hardStopAfter
        let inherited = takeOverFrom.flatMap { ListenerHandoff.fetch(from: $0) }
        if !takeOverFrom.isEmpty {
            logger.info("took over \(inherited.count) listening sockets from \(takeOverFrom)")
        }
        self.listeners = ListenerSet(logger: logger, inherited: inherited)
    }

    /// An error while starting, worded like HAProxy's.
    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Binds every listener, calls `ready` (pidfile, signalling an old process), then serves until stopped.
    public func run(ready: @Sendable () throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, plan.threadCount))
        var contexts: [LoopContext] = []
        for (index, eventLoop) in group.makeIterator().enumerated() {
            contexts.append(LoopContext(eventLoop: eventLoop, index: index, runtime: plan.runtime))
        }
        let loops = LoopDirectory(contexts)
        plan.runtime.catalog.attach(RuntimeControl(runtime: plan.runtime, listeners: listeners, loops: loops))
        if let lua = plan.runtime.lua {
            do {
                try lua.runInit()
            } catch {
                try? await group.shutdownGracefully()
                throw StartupError(description: error.message)
            }
            for context in contexts {
                context.eventLoop.execute { context.lua?.startTasks() }
            }
        }
        // Signals are trapped before binding so an early SIGUSR1 from a reloading successor is not lost.
        let signals = SignalStream(trapping: [SIGUSR1, SIGTERM, SIGINT, SIGTTOU, SIGTTIN])
        listeners.installAdmission(runtime: plan.runtime)
        do {
            for frontend in plan.runtime.frontends {
                try await frontend.log?.open(on: group.next())
            }
            try await plan.runtime.luaLog?.open(on: group.next())
            for (frontend, address) in plan.listeners {
                do {
                    try await listeners.bind(
                        address, frontend: frontend, runtime: plan.runtime, loops: loops, group: group)
                } catch {
                    throw StartupError(
                        description: "Starting frontend \(frontend.name): cannot bind socket (\(Self.reason(error))) [\(address)]"
                    )
                }
            }
        } catch {
            await listeners.close()
            try? await group.shutdownGracefully()
            throw error
        }
        let runtimeAPI = makeRuntimeAPI(loops: loops)
        do {
            try await runtimeAPI.start(on: group)
        } catch {
            await listeners.close()
            try? await group.shutdownGracefully()
            throw StartupError(description: "\(error)")
        }
        listeners.closeUnusedInherited()
        let runtime = plan.runtime
        let handoff = ListenerHandoff.Server(entries: listeners.handoffEntries) { [listeners, logger] in
            logger.info("handing listening sockets over to a new process; pausing listeners")
            try? listeners.pause()?.wait()
            // If the new process dies before telling us to stop, serve again rather than stay paused.
            group.next().scheduleTask(in: Self.handoverGrace) {
                guard !runtime.isStopping else { return }
                logger.warning("no stop signal within \(Self.handoverGrace) of handing over the listeners: resuming")
                listeners.resume()
            }
        }
        if handoff == nil { logger.warning("cannot serve listening sockets for reloads in \(ListenerHandoff.directory)") }
        defer { handoff?.stop() }
        do {
            try ready()
        } catch {
            await runtimeAPI.close()
            await listeners.close()
            try? await group.shutdownGracefully()
            throw error
        }
        logger.info("proxy started", metadata: ["tg.threads": "\(plan.threadCount)"])

        for await signal in signals.stream {
            switch signal {
            case SIGTTOU:
                logger.info("pausing listeners (SIGTTOU)")
                listeners.pause()
            case SIGTTIN:
                logger.info("resuming listeners (SIGTTIN)")
                listeners.resume()
            case SIGUSR1:
                logger.info("soft stop (SIGUSR1): finishing in-flight streams")
                handoff?.stop()
                await runtimeAPI.close()
                await softStop(loops: loops)
                try? await group.shutdownGracefully()
                return
            default:
                logger.info("hard stop (signal \(signal))")
                plan.runtime.beginHardStop()
                await runtimeAPI.close()
                await listeners.close()
                try? await group.shutdownGracefully()
                return
            }
        }
    }

    /// The runtime API server over this proxy: HAProxy's commands and the Lua `core.register_cli` ones.
    private func makeRuntimeAPI(loops: LoopDirectory) -> RuntimeAPIServer {
        var table = RuntimeCommands.table(plan.runtimeAPIEnvironment)
        if let lua = plan.runtime.lua { LuaCLICommands.add(lua, to: &table, loops: loops) }
        return RuntimeAPIServer(configuration: plan.runtimeAPI, table: table, logger: logger)
    }

    /// How long a process that handed its listeners over waits for SIGUSR1/SIGTERM before resuming.
    static let handoverGrace: TimeAmount = .seconds(10)

    private func softStop(loops: LoopDirectory) async {
        plan.runtime.beginStopping()
        await listeners.close()
        for loop in loops.all {
            loop.eventLoop.execute { loop.softStop() }
        }
        let started = NIODeadline.now()
        while plan.runtime.currentConnections > 0 {
            if let hardStopAfter, NIODeadline.now() - started > hardStopAfter {
                logger.warning("hard-stop-after reached with \(plan.runtime.currentConnections) connections left")
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }
}
