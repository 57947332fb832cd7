import ArgumentParser
import Logging
import ServiceLifecycle
import SPOP
import TidegateSPOA

#if canImport(Glibc)
    import Glibc
#endif

/// `tidegate-spoa`: the command line of HAProxy's example agent (`spoa -p <port> -n <workers> -d -f <file>`),
/// plus options for the limits.
@main
struct TidegateSPOACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidegate-spoa",
        abstract: "An SPOP offload agent for HAProxy's SPOE filter, running Lua and Python message handlers.",
        discussion: """
            Scripts register handlers with spoa.register_message(name, fn) and set variables with \
            spoa.set_var_*(name, scope, value). Signals: SIGTERM/SIGINT finish in-flight frames, send \
            AGENT-DISCONNECT and exit; SIGUSR1 prints the counters on standard output.
            """
    )

    @Option(
        name: .customShort("p"),
        help: ArgumentHelp(
            "Where to listen: a port (every IPv4 address), host:port, [ipv6]:port or unix@/path (repeatable).",
            valueName: "port"))
    var listen: [String] = ["12345"]

    @Option(
        name: .customShort("n"),
        help: ArgumentHelp("Number of workers (event loops, each with its own Lua state).", valueName: "workers"))
    var workers: Int = 5

    @Flag(name: .customShort("d"), help: "Debug mode: log every frame received and sent.")
    var debug = false

    @Option(
        name: .customShort("f"),
        help: ArgumentHelp("Script to load (.lua, .luac, .py); repeatable, loaded in order.", valueName: "file"))
    var files: [String] = []

    @Option(help: "Time a handler call may take, in milliseconds: CPU time for Lua, wall time for Python (0: none).")
    var timeout: Int = 1000

    @Option(help: "Lua instructions between two forced yields (0: none).")
    var forcedYield: Int = 10_000

    @Option(help: "Bytes each worker's Lua state may allocate (0: no limit).")
    var luaMaxMemory: Int = 128 << 20

    @Option(help: "Largest frame accepted and sent (HAProxy's is tune.bufsize - 4).")
    var maxFrameSize: Int = SPOPConfiguration.defaultMaxFrameSize

    @Option(help: "Seconds connections get on SIGTERM to answer their in-flight frames.")
    var shutdownGrace: Int = 5

    mutating func validate() throws {
        guard !files.isEmpty else { throw ValidationError("No script given: use -f <file>.") }
        guard workers >= 1 else { throw ValidationError("-n needs at least 1 worker.") }
        for value in listen where SPOAListenAddress(parsing: value) == nil {
            throw ValidationError("Cannot listen on '\(value)': expected a port, host:port or unix@/path.")
        }
    }

    func run() async throws {
        var logger = Logger(label: "tidegate-spoa") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = debug ? .debug : .info
        let configuration = SPOAConfiguration(
            listen: listen.compactMap(SPOAListenAddress.init(parsing:)),
            workers: workers,
            scripts: files,
            protocolConfiguration: SPOPConfiguration(maxFrameSize: maxFrameSize),
            limits: .init(
                forcedYieldInstructions: forcedYield,
                handlerTimeout: timeout > 0 ? .milliseconds(timeout) : nil,
                luaMaxMemory: luaMaxMemory),
            shutdownGracePeriod: .seconds(shutdownGrace))
        let server = SPOAServer(configuration: configuration, logger: logger) { statistics in
            // One write, unbuffered: the report is whole when a reader sees it.
            var text = statistics.report + "\n"
            text.withUTF8 { bytes in _ = Glibc.write(1, bytes.baseAddress, bytes.count) }
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}
