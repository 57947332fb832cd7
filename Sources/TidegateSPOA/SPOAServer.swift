import Logging
import ServiceLifecycle
import UnixSignals

/// The agent as a `Service`: starts an `SPOAAgent`, reports its counters on SIGUSR1, and on graceful shutdown
/// (SIGTERM/SIGINT through a `ServiceGroup`) lets connections finish their in-flight frames and say
/// AGENT-DISCONNECT before it returns.
public struct SPOAServer: Service, CustomStringConvertible {
    public let configuration: SPOAConfiguration
    public let logger: Logger
    /// Receives the counters on SIGUSR1 (the executable prints them on standard output).
    public let report: @Sendable (SPOAStatistics) -> Void
    /// Called once the agent listens (tests and wrappers learn the bound addresses there).
    public let onStarted: @Sendable (SPOAAgent) -> Void

    public init(
        configuration: SPOAConfiguration, logger: Logger,
        report: @escaping @Sendable (SPOAStatistics) -> Void,
        onStarted: @escaping @Sendable (SPOAAgent) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.report = report
        self.onStarted = onStarted
    }

    public var description: String { "SPOAServer(\(configuration.listen.map(\.description).joined(separator: ", ")))" }

    public func run() async throws {
        let agent = try await SPOAAgent.start(configuration: configuration, logger: logger)
        onStarted(agent)
        let signals = await UnixSignalsSequence(trapping: .sigusr1)
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in signals {
                    report(await agent.statistics())
                }
            }
            // Until SIGTERM/SIGINT (or the group is cancelled).
            try? await gracefulShutdown()
            tasks.cancelAll()
        }
        logger.info("shutting down: finishing in-flight frames")
        await agent.shutdown()
    }
}
