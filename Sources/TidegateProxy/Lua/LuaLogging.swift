import NIOCore
import Synchronization
import TidegateConfig
import TidegateLuaAPI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the messages of Lua scripts and of the Lua engine go, as HAProxy routes them:
/// - with `tune.lua.log.loggers on` (the default), `core.log()`/`core.Info()`... and the engine's own messages go to
///   the global `log` targets, and `txn:log()`/`txn:Info()`... to the `log` targets of the frontend the transaction
///   belongs to (which may be `log global`);
/// - `tune.lua.log.stderr on` also prints every message on stderr, `auto` (the default) only the messages that no
///   logger took, `off` none. Stderr lines look like HAProxy's: `[info] 325/141843 (1234) : message`.
///
/// Built before the frontends exist (the engine loads the scripts first); `attach(frontends:)` is called once the
/// runtime is built and `open(on:)` before serving. Messages sent before then go to stderr alone.
final class LuaLogRouter: Sendable {
    private let configuration: LuaEngineConfiguration
    private let global: ProxyLog?
    private let frontends = Mutex<[String: ProxyLog]>([:])

    static let levelNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    init(configuration: LuaEngineConfiguration, globalTargets: [LogTarget]) {
        self.configuration = configuration
        self.global = globalTargets.isEmpty || !configuration.logToLoggers
            ? nil
            : ProxyLog(format: nil, targets: globalTargets, dontLogNull: false, separateErrors: false, httpMode: false)
    }

    /// The frontends' loggers, for `txn:log()`.
    func attach(frontends: [FrontendRuntime]) {
        guard self.configuration.logToLoggers else { return }
        var logs: [String: ProxyLog] = [:]
        for frontend in frontends {
            if let log = frontend.log { logs[frontend.name] = log }
        }
        self.frontends.withLock { $0 = logs }
    }

    /// Opens the global targets (the frontends open theirs).
    func open(on eventLoop: any EventLoop) async throws {
        try await self.global?.open(on: eventLoop)
    }

    /// The engine's sink for messages outside a transaction (`core.log`, engine errors).
    var globalSink: LuaLogSink {
        { [self] level, message in self.route(level, message, to: self.global) }
    }

    /// The engine's sink for a transaction's messages (`txn:log`).
    var proxySink: LuaProxyLogSink {
        { [self] proxy, level, message in
            self.route(level, message, to: self.frontends.withLock { $0[proxy] })
        }
    }

    private func route(_ level: Int, _ message: String, to log: ProxyLog?) {
        let severity = LogLevel(rawValue: max(0, min(level, 7))) ?? .info
        let logged = log?.sendMessage(message, level: severity) ?? false
        switch self.configuration.logToStderr {
        case .on: Self.printOnStderr(severity, message)
        case .auto: if !logged { Self.printOnStderr(severity, message) }
        case .off: break
        }
    }

    private static func printOnStderr(_ level: LogLevel, _ message: String) {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        let stamp = format3(Int(parts.tm_yday)) + "/" + format2(Int(parts.tm_hour)) + format2(Int(parts.tm_min))
            + format2(Int(parts.tm_sec))
        let line = "[\(level.keyword)] \(stamp) (\(getpid())) : \(message)\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    private static func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static func format3(_ value: Int) -> String {
        value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)"
    }
}
