import Foundation
import Testing

/// Lua actions in response rules: an `http-response` action may wait (its response waits, the server's later
/// bytes are kept and follow), an `http-after-response` action may not (HAProxy's ACT_OPT_FINAL).
@Suite("Lua response rules", .timeLimit(.minutes(1)))
struct LuaResponseRulesTests {
    static let script = """
        core.register_action("late", {"http-res"}, function(txn, ms)
          core.msleep(tonumber(ms))
          txn.http:res_set_header("x-late", "slept " .. ms .. " status " .. txn.sf:status())
        end, 1)
        core.register_action("after_nap", {"http-after-res"}, function(txn)
          core.msleep(10)
          txn.http:res_set_header("x-after", "not reached")
        end)
        """

    static func start() async throws -> (TidegateProcess, TestHTTPServer, Int) {
        let server = try await TestHTTPServer.start(name: "s1")
        let scratch = try ScratchDirectory()
        let scriptPath = try scratch.write("response.lua", script)
        let port = try FreePort.next()
        let config = TestConfig.make(
            global: ["nbthread 1", "lua-load-per-thread \(scriptPath)"],
            """
            frontend fe
                bind 127.0.0.1:\(port)
                http-response lua.late 300 if { path_beg /late }
                http-response lua.late 3000 if { path_beg /slow }
                http-after-response lua.after_nap if { path_beg /after }
                default_backend be

            backend be
                server s1 127.0.0.1:\(server.port)
            """)
        let process = try await TidegateProcess.start(config: config, ports: [port], scratch: scratch)
        return (process, server, port)
    }

    /// The response, how long it took, and when it was complete.
    static func get(_ port: Int, _ path: String, close: Bool = true) async throws
        -> (RawHTTPResponse, Duration, ContinuousClock.Instant)
    {
        try await blocking {
            let clock = ContinuousClock()
            let started = clock.now
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(10))
            defer { connection.close() }
            try connection.send(RawRequest.get(path, close: close))
            let response = try connection.readResponse(keepBody: 1 << 21)
            let done = clock.now
            return (response, done - started, done)
        }
    }

    @Test("an http-response action waits; only its response is delayed, and the whole streamed body follows it")
    func responseActionWaits() async throws {
        let (tidegate, server, port) = try await Self.start()
        defer { tidegate.stop() }
        defer { Task { await server.stop() } }
        async let slow = Self.get(port, "/slow?bytes=300000")
        // Once the slow response is waiting in its action (the server answered it), ask for another one.
        try #require(await eventually(timeout: .seconds(5)) { server.requests.contains { $0.uri.hasPrefix("/slow") } })
        let (fast, _, fastDone) = try await Self.get(port, "/fast")
        let (late, lateTime, lateDone) = try await slow
        #expect(fast.status == 200)
        #expect(fast.header("x-late") == nil)
        // Ordering, not latency: the request without the action was answered while the other one waited.
        #expect(fastDone < lateDone, "the request without the action was answered after the waiting one")
        #expect(late.status == 200, "\(late)")
        #expect(late.header("x-late") == "slept 3000 status 200", "\(late)")
        #expect(late.bodyLength == 300_000, "\(late)")
        #expect(lateTime >= .milliseconds(3000), "the action's sleep was skipped: \(lateTime)")
    }

    @Test("keep-alive: the connection serves the next request after a waiting response action")
    func keepAliveAfterWait() async throws {
        let (tidegate, server, port) = try await Self.start()
        defer { tidegate.stop() }
        defer { Task { await server.stop() } }
        let responses = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(10))
            defer { connection.close() }
            try connection.send(RawRequest.get("/late/1", close: false))
            let first = try connection.readResponse()
            try connection.send(RawRequest.get("/plain", close: true))
            let second = try connection.readResponse()
            return [first, second]
        }
        #expect(responses[0].header("x-late") == "slept 300 status 200", "\(responses[0])")
        #expect(responses[0].bodyText == "s1\n")
        #expect(responses[1].status == 200 && responses[1].header("x-late") == nil, "\(responses[1])")
    }

    @Test("an http-after-response action may not wait: 'yield not allowed' is logged and the response goes out")
    func afterResponseCannotWait() async throws {
        let (tidegate, server, port) = try await Self.start()
        defer { tidegate.stop() }
        defer { Task { await server.stop() } }
        let (response, _, _) = try await Self.get(port, "/after")
        #expect(response.status == 200)
        #expect(response.header("x-after") == nil)
        #expect(
            await eventually(timeout: .seconds(3)) {
                tidegate.stderrText.contains("Lua function 'lua.after_nap'")
                    && tidegate.stderrText.contains("yield not allowed")
            }, "\(tidegate.stderrText)")
    }
}
