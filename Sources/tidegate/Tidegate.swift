import ArgumentParser
import Dispatch
import Foundation
import Logging
import NIOCore
import TidegateConfig
import TidegateCore
import TidegateProxy

#if canImport(Glibc)
import Glibc
#endif

/// `tidegate`: HAProxy's command line, so existing scripts and unit files keep working.
@main
struct Tidegate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidegate",
        abstract: "A programmable load balancer and reverse proxy that reads HAProxy configurations.",
        discussion: "Signals: SIGUSR1 soft-stop, SIGTERM/SIGINT hard stop, SIGTTOU/SIGTTIN pause/resume listeners."
    )

    @Option(name: .customShort("f"), help: "Configuration file or directory (repeatable; directories load *.cfg in order).")
    var files: [String] = []

    @Flag(name: .customShort("c"), help: "Check the configuration and exit.")
    var check = false

    @Flag(name: .customShort("d"), help: "Stay in the foreground and log debug messages.")
    var debug = false

    @Flag(name: .customShort("D"), help: "Run as a daemon (in the background).")
    var daemon = false

    @Option(name: .customShort("p"), help: "Write the process id to this file.")
    var pidFile: String?

    @Option(
        name: .customLong("sf", withSingleDash: true), parsing: .upToNextOption,
        help: "After binding, ask these processes to finish their connections and exit (soft reload).")
    var finishPids: [Int32] = []

    @Option(
        name: .customLong("st", withSingleDash: true), parsing: .upToNextOption,
        help: "After binding, ask these processes to stop now (hard reload).")
    var terminatePids: [Int32] = []

    @Flag(name: .customShort("v"), help: "Print the version and exit.")
    var version = false

    @Flag(name: .customLong("vv", withSingleDash: true), help: "Print the version and build options and exit.")
    var buildOptions = false

    @Flag(name: .customShort("q"), help: "Quiet: print nothing at startup.")
    var quiet = false

    @Flag(name: .customLong("db", withSingleDash: true), help: "Disable background mode (stay in the foreground).")
    var noBackground = false

    mutating func run() throws {
        ProcessInformation.recordStart()
        if buildOptions {
            print(VersionInfo.long)
            return
        }
        if version {
            print(VersionInfo.short)
            return
        }
        guard !files.isEmpty else {
            throw ValidationError("No configuration file given: use -f <file|dir>.")
        }
        let result = ConfigLoader.load(
            paths: files, environment: ProcessInfo.processInfo.environment, extensions: RuntimeBuilder.configExtensions)
        let pid = getpid()
        for diagnostic in result.diagnostics where !(quiet && diagnostic.severity == .warning) {
            FileHandle.standardError.write(Data(Self.format(diagnostic, pid: pid).utf8))
        }
        guard let configuration = result.configuration else {
            FileHandle.standardError.write(Data("[ALERT]    (\(pid)) : config : Fatal errors found in configuration.\n".utf8))
            throw ExitCode(1)
        }
        let plan: ProxyPlan
        switch RuntimeBuilder.build(configuration, defaultThreads: System.coreCount) {
        case .success(let built): plan = built
        case .failure(let failure):
            for diagnostic in failure.diagnostics {
                FileHandle.standardError.write(Data(Self.format(diagnostic, pid: pid).utf8))
            }
            FileHandle.standardError.write(Data("[ALERT]    (\(pid)) : config : Fatal errors found in configuration.\n".utf8))
            throw ExitCode(1)
        }
        if check {
            if !quiet { print("Configuration file is valid") }
            return
        }

        let quietMode = quiet || configuration.global.quiet
        let debugMode = debug
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = debugMode ? .debug : (quietMode ? .warning : .notice)
            return handler
        }
        let logger = Logger(label: "tidegate")

        var report: Daemon.StartupReport?
        if (daemon || configuration.global.daemon) && !debug && !noBackground {
            report = try Daemon.detach()
        }
        let startupReport = report
        let pidPath = pidFile ?? configuration.global.pidFile
        let finish = finishPids
        let terminate = terminatePids
        let server = ProxyServer(
            plan: plan, hardStopAfter: configuration.global.hardStopAfter.map { .milliseconds(Int64($0)) },
            takeOverFrom: finishPids + terminatePids, logger: logger)
        let outcome = BlockingRun.run {
            try await server.run {
                if let pidPath {
                    do {
                        try "\(getpid())\n".write(toFile: pidPath, atomically: true, encoding: .utf8)
                    } catch {
                        throw PidFileError(path: pidPath)
                    }
                }
                for old in finish { kill(old, SIGUSR1) }
                for old in terminate { kill(old, SIGTERM) }
                startupReport?.succeeded()
            }
        }
        if case .failure(let error) = outcome {
            startupReport?.failed("\(error)")
            // The processes we were replacing paused their listeners for us: let them resume.
            for old in finish + terminate { kill(old, SIGTTIN) }
            FileHandle.standardError.write(Data("[ALERT]    (\(pid)) : \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// HAProxy's diagnostic layout: `[ALERT]    (pid) : config : parsing [file:line] : message`.
    static func format(_ diagnostic: ConfigDiagnostic, pid: Int32) -> String {
        let tag = diagnostic.severity == .alert ? "[ALERT]  " : "[WARNING]"
        return "\(tag)  (\(pid)) : config : \(diagnostic.description)\n"
    }
}

/// The pid file could not be written (HAProxy refuses to start then too).
struct PidFileError: Error, CustomStringConvertible {
    var path: String
    var description: String { "[tidegate.main()] Cannot create pidfile \(path)" }
}

/// Runs async work from the synchronous entry point (the process may have forked before, so the
/// concurrency runtime must not have started any thread yet).
enum BlockingRun {
    static func run(_ body: @escaping @Sendable () async throws -> Void) -> Result<Void, any Error> {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        Task {
            do {
                try await body()
                box.set(.success(()))
            } catch {
                box.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        return box.get()
    }

    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<Void, any Error> = .success(())
        func set(_ value: Result<Void, any Error>) { lock.withLock { result = value } }
        func get() -> Result<Void, any Error> { lock.withLock { result } }
    }
}
