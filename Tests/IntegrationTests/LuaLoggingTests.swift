import Foundation
import Testing

/// Where Lua's messages go: `core.log()` to the global `log` targets, `txn:log()` to the frontend's, stderr only
/// for what no logger took (`tune.lua.log.stderr auto`), everything on stderr with `tune.lua.log.loggers off`.
@Suite("Lua logging", .timeLimit(.minutes(1)))
struct LuaLoggingTests {
    static let script = """
        core.register_action("say", {"http-req"}, function(txn)
          core.Info("core says " .. txn.sf:path())
          txn:Warning("txn says " .. txn.sf:path())
        end)
        """

    /// Starts tidegate with the global target on `global` and the frontend's on `frontend`.
    static func start(global: UDPReceiver, frontend: UDPReceiver, extra: [String] = []) async throws
        -> (TidegateProcess, Int)
    {
        let scratch = try ScratchDirectory()
        let scriptPath = try scratch.write("log.lua", script)
        let port = try FreePort.next()
        let config = TestConfig.make(
            global: ["nbthread 1", "lua-load-per-thread \(scriptPath)", "log 127.0.0.1:\(global.port) local0"]
                + extra,
            """
            frontend fe
                bind 127.0.0.1:\(port)
                log 127.0.0.1:\(frontend.port) local1
                option dontlognull
                http-request lua.say
                http-request return status 200
            """)
        let process = try await TidegateProcess.start(config: config, ports: [port], scratch: scratch)
        return (process, port)
    }

    /// Every datagram `receiver` gets within `window`, as text.
    static func drain(_ receiver: UDPReceiver, window: Duration = .milliseconds(700)) async throws -> [String] {
        try await blocking {
            var lines: [String] = []
            while let datagram = try receiver.receive(timeout: window) {
                lines.append(String(decoding: datagram, as: UTF8.self))
            }
            return lines
        }
    }

    static func request(_ port: Int, _ path: String) async throws -> RawHTTPResponse {
        try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send(RawRequest.get(path, close: true))
            return try connection.readResponse()
        }
    }

    @Test("core.log goes to the global targets, txn:log to the frontend's, with their levels; not to stderr")
    func routedToLoggers() async throws {
        let global = try UDPReceiver()
        let frontend = try UDPReceiver()
        let (tidegate, port) = try await Self.start(global: global, frontend: frontend)
        defer { tidegate.stop() }
        #expect(try await Self.request(port, "/first").status == 200)
        let globalLines = try await Self.drain(global)
        let frontendLines = try await Self.drain(frontend)
        // local0 (16) * 8 + info (6) = 134; local1 (17) * 8 + warning (4) = 140.
        #expect(globalLines.contains { $0.hasPrefix("<134>") && $0.contains("core says /first") }, "\(globalLines)")
        #expect(!globalLines.contains { $0.contains("txn says") }, "\(globalLines)")
        #expect(frontendLines.contains { $0.hasPrefix("<140>") && $0.contains("txn says /first") }, "\(frontendLines)")
        #expect(!frontendLines.contains { $0.contains("core says") }, "\(frontendLines)")
        #expect(!tidegate.stderrText.contains("says /first"), "\(tidegate.stderrText)")
    }

    @Test("tune.lua.log.loggers off: nothing reaches the targets, everything is printed on stderr")
    func loggersOff() async throws {
        let global = try UDPReceiver()
        let frontend = try UDPReceiver()
        let (tidegate, port) = try await Self.start(
            global: global, frontend: frontend, extra: ["tune.lua.log.loggers off"])
        defer { tidegate.stop() }
        #expect(try await Self.request(port, "/second").status == 200)
        let lines = try await Self.drain(global) + Self.drain(frontend)
        #expect(!lines.contains { $0.contains("says /second") }, "\(lines)")
        #expect(
            await eventually(timeout: .seconds(3)) {
                tidegate.stderrText.contains("[info]") && tidegate.stderrText.contains("core says /second")
                    && tidegate.stderrText.contains("[warning]") && tidegate.stderrText.contains("txn says /second")
            }, "\(tidegate.stderrText)")
    }
}
