import Foundation
import Testing

/// The Lua engine seen from outside: scripts loaded by `lua-load-per-thread`/`lua-load`, actions, services,
/// fetches, converters, tasks, and what a misbehaving script may and may not do to the process.
@Suite("Lua engine", .timeLimit(.minutes(2)))
struct LuaEngineTests {
    static let script = """
        core.register_action("nap", {"http-req"}, function(txn, ms) core.msleep(tonumber(ms)) end, 1)
        core.register_action("spin", {"http-req"}, function(txn) while true do end end)
        core.register_action("bomb", {"http-req"}, function(txn)
          local t = {}
          for i = 1, 1e9 do t[i] = string.rep("x", 4096) .. i end
        end)
        core.register_action("fail", {"http-req"}, function(txn) error("action failed on purpose") end)
        core.register_fetches("double", function(txn, x) return tonumber(x) * 2 end)
        core.register_fetches("broken", function(txn) error("fetch failed on purpose") end)
        core.register_fetches("sleepy", function(txn) core.msleep(10) return "late" end)
        core.register_converters("shout", function(s) return string.upper(s) .. "!" end)
        core.register_service("echo", "http", function(applet)
          local body = applet:receive()
          applet:set_status(201)
          applet:add_header("x-service", "echo")
          applet:add_header("x-attributes", applet.version .. " " .. applet.length .. " " ..
            applet.headers["host"][0] .. " [" .. applet.qs .. "]")
          applet:start_response()
          applet:send(applet.method .. " " .. applet.path .. " " .. body .. " thread=" .. core.thread)
        end)
        core.register_service("boom", "http", function(applet) error("service failed on purpose") end)
        core.register_service("sock", "http", function(applet)
          local s = core.tcp()
          s:settimeout(0.3)
          local port = tonumber(applet.qs)
          local ok, err = s:connect("127.0.0.1", port)
          local out = "connect=" .. tostring(ok) .. " err=" .. tostring(err)
          if ok then
            local data, rerr = s:receive("*l")
            out = out .. " receive=" .. tostring(data) .. " rerr=" .. tostring(rerr)
          end
          applet:start_response()
          applet:send(out)
        end)
        core.register_task(function(tag) core.Info("task started with " .. tag) end, "marker-42")
        core.register_init(function() core.Info("init ran") end)
        """

    /// A frontend whose rules use the script, answering locally so no backend is needed.
    static func start(global: [String] = [], loader: String = "lua-load-per-thread") async throws -> (TidegateProcess, Int) {
        let scratch = try ScratchDirectory()
        let scriptPath = try scratch.write("test.lua", script)
        let port = try FreePort.next()
        let config = TestConfig.make(
            global: ["nbthread 1", "\(loader) \(scriptPath)", "tune.lua.session-timeout 1s"] + global,
            """
            frontend fe
                bind 127.0.0.1:\(port)
                http-request lua.nap 200 if { path /nap }
                http-request lua.spin if { path /spin }
                http-request lua.bomb if { path /bomb }
                http-request lua.fail if { path /fail }
                http-request use-service lua.echo if { path_beg /echo }
                http-request use-service lua.boom if { path /boom }
                http-request use-service lua.sock if { path /sock }
                http-request return status 200 content-type text/plain lf-string "double=%[lua.double(21)] shout=%[str(abc),lua.shout] broken=%[lua.broken] sleepy=%[lua.sleepy]"
            """)
        let process = try await TidegateProcess.start(config: config, ports: [port], scratch: scratch)
        return (process, port)
    }

    static func get(_ port: Int, _ path: String) async throws -> RawHTTPResponse {
        try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(10))
            defer { connection.close() }
            try connection.send(RawRequest.get(path, close: true))
            return try connection.readResponse()
        }
    }

    @Test("fetches and converters registered in Lua work in log-format strings; a failing or yielding fetch gives no sample")
    func fetchesAndConverters() async throws {
        let (tidegate, port) = try await Self.start()
        defer { tidegate.stop() }
        let response = try await Self.get(port, "/")
        #expect(response.status == 200)
        #expect(response.bodyText == "double=42 shout=ABC! broken= sleepy=", "\(response)")
        try await Task.sleep(for: .milliseconds(100))
        #expect(tidegate.stderrText.contains("Lua sample-fetch 'lua.broken': runtime error:"), "\(tidegate.stderrText)")
        #expect(tidegate.stderrText.contains("fetch failed on purpose"))
        #expect(tidegate.stderrText.contains("Lua sample-fetch 'lua.sleepy': yield not allowed"), "\(tidegate.stderrText)")
    }

    @Test("an HTTP service answers with its status, headers and body, and reads the request body")
    func service() async throws {
        let (tidegate, port) = try await Self.start()
        defer { tidegate.stop() }
        let response = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send("POST /echo/x?a=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n\r\npayload")
            return try connection.readResponse()
        }
        #expect(response.status == 201, "\(response)")
        #expect(response.header("x-service") == "echo")
        #expect(response.header("x-attributes") == "1.1 7 t [a=1]", "\(response)")
        #expect(response.bodyText == "POST /echo/x payload thread=1", "\(response)")
    }

    @Test("a runtime error in a service answers 500; a failing action is skipped; the process lives on")
    func errorsAreContained() async throws {
        let (tidegate, port) = try await Self.start()
        defer { tidegate.stop() }
        let boom = try await Self.get(port, "/boom")
        let failed = try await Self.get(port, "/fail")
        #expect(boom.status == 500, "\(boom)")
        #expect(failed.status == 200, "a failing action continues as if absent: \(failed)")
        #expect(tidegate.isRunning)
        try await Task.sleep(for: .milliseconds(100))
        #expect(tidegate.stderrText.contains("service failed on purpose"))
        #expect(tidegate.stderrText.contains("Lua function 'lua.fail': runtime error:"), "\(tidegate.stderrText)")
    }

    @Test("init and tasks run at startup, with the task's arguments")
    func initAndTasks() async throws {
        let (tidegate, port) = try await Self.start()
        defer { tidegate.stop() }
        _ = try await Self.get(port, "/")
        try await Task.sleep(for: .milliseconds(100))
        #expect(tidegate.stderrText.contains("init ran"), "\(tidegate.stderrText)")
        #expect(tidegate.stderrText.contains("task started with marker-42"), "\(tidegate.stderrText)")
    }

    @Test("while true do end: that request fails after the session timeout while others on the loop are answered")
    func runawayLoopDoesNotStallTheLoop() async throws {
        let (tidegate, port) = try await Self.start()
        defer { tidegate.stop() }
        let clock = ContinuousClock()
        let start = clock.now
        async let spinning = Self.get(port, "/spin")
        try await Task.sleep(for: .milliseconds(100))
        // One event loop only: these are answered while the runaway action is being forced to yield.
        var answeredMeanwhile: [Duration] = []
        for _ in 0..<5 {
            let before = clock.now
            let response = try await Self.get(port, "/")
            #expect(response.status == 200)
            answeredMeanwhile.append(clock.now - before)
        }
        let answeredAt = clock.now
        let spun = try await spinning
        let spinEndedAt = clock.now
        let elapsed = spinEndedAt - start
        // The action is abandoned after ~1 s of Lua CPU time; the rule set then goes on (the request gets the
        // local 200 answer, as HAProxy continues after a failed action).
        #expect(spun.status == 200)
        #expect(elapsed >= .milliseconds(900), "the session timeout is 1s of CPU time, got \(elapsed)")
        // A blocked loop would answer the others only after the runaway action ends.
        #expect(answeredAt < spinEndedAt, "answered meanwhile in \(answeredMeanwhile); the runaway ended after \(elapsed)")
        try await Task.sleep(for: .milliseconds(100))
        #expect(tidegate.stderrText.contains("Lua function 'lua.spin': execution timeout"), "\(tidegate.stderrText)")
    }

    @Test("an allocation bomb under tune.lua.maxmem 64 fails with out of memory; RSS stays bounded; next requests succeed")
    func allocationBomb() async throws {
        let (tidegate, port) = try await Self.start(global: ["tune.lua.maxmem 64"])
        defer { tidegate.stop() }
        let sampler = RSSSampler(tidegate)
        let bombed = try await Self.get(port, "/bomb")
        let after = try await Self.get(port, "/")
        let (peak, _) = await sampler.finish()
        #expect(bombed.status == 200)
        #expect(after.status == 200 && after.bodyText.hasPrefix("double=42"))
        #expect(peak < 200 * 1024 * 1024, "peak RSS \(peak) bytes")
        try await Task.sleep(for: .milliseconds(100))
        #expect(tidegate.stderrText.contains("Lua function 'lua.bomb': out of memory error"), "\(tidegate.stderrText)")
    }

    @Test("core.msleep delays only its own request: 2,000 concurrent requests sleeping 200 ms overlap")
    func concurrentSleeps() async throws {
        let (tidegate, port) = try await Self.start()
        defer { tidegate.stop() }
        let clock = ContinuousClock()
        // The same load without the sleep: what accepting and answering 2,000 connections costs on this machine
        // (the tests run a debug build, and the client shares the CPU).
        let baselineStart = clock.now
        let baseline = try await ConcurrentRequests.get(port: port, path: "/", count: 2000)
        let baselineTime = clock.now - baselineStart
        let start = clock.now
        let statuses = try await ConcurrentRequests.get(port: port, path: "/nap", count: 2000)
        let elapsed = clock.now - start
        #expect(baseline.filter { $0 == 200 }.count == 2000, "\(Dictionary(grouping: baseline, by: { $0 }).mapValues(\.count))")
        #expect(statuses.filter { $0 == 200 }.count == 2000, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        // Sleeping one after the other would take 400 s; overlapping, the sleep adds about 200 ms to the baseline
        // (the bound leaves room for a loaded machine, and is still 80 times shorter than sleeping in turn).
        #expect(elapsed < baselineTime + .seconds(5), "took \(elapsed), baseline \(baselineTime)")
        #expect(elapsed >= .milliseconds(200))
    }

    @Test("core.tcp(): a closed port gives nil and an error; a server that never answers hits the timeout")
    func socketErrors() async throws {
        let (tidegate, port) = try await Self.start()
        defer { tidegate.stop() }
        let closedPort = try FreePort.next()
        let silent = try SilentListener()
        let refused = try await Self.get(port, "/sock?\(closedPort)")
        let clock = ContinuousClock()
        let start = clock.now
        let silentResponse = try await Self.get(port, "/sock?\(silent.port)")
        let waited = clock.now - start
        #expect(refused.status == 200)
        #expect(refused.bodyText.hasPrefix("connect=nil err="), "\(refused.bodyText)")
        #expect(!refused.bodyText.hasSuffix("err=nil"), "\(refused.bodyText)")
        #expect(silentResponse.bodyText == "connect=1 err=nil receive=nil rerr=timeout", "\(silentResponse.bodyText)")
        // The 300 ms timeout fired (not a hang up to the client's 10 s; the margin absorbs a loaded machine).
        #expect(waited >= .milliseconds(280) && waited < .seconds(8), "\(waited)")
    }

    @Test("an action reads a header with txn.sf, sets a variable and a request header the server receives")
    func txnAction() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let scratch = try ScratchDirectory()
        let scriptPath = try scratch.write(
            "txn.lua",
            """
            core.register_action("tag", {"http-req"}, function(txn, prefix)
              local agent = txn.sf:req_hdr("x-client")
              txn:set_var("txn.client", prefix .. agent)
              txn.http:req_set_header("x-tagged", prefix .. agent)
            end, 1)
            core.register_action("deny_bad", {"http-req"}, function(txn)
              if txn.sf:req_hdr("x-client") == "bad" then return act.DENY end
            end)
            """)
        let port = try FreePort.next()
        let config = TestConfig.make(
            global: ["nbthread 1", "lua-load-per-thread \(scriptPath)"],
            """
            frontend fe
                bind 127.0.0.1:\(port)
                http-request lua.deny_bad
                http-request lua.tag seen-
                http-request set-header x-var %[var(txn.client)]
                default_backend be

            backend be
                server s1 127.0.0.1:\(server.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port], scratch: scratch)
        defer { tidegate.stop() }
        let (good, bad) = try await blocking {
            func send(_ client: String) throws -> RawHTTPResponse {
                let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
                defer { connection.close() }
                try connection.send(RawRequest.get("/x", headers: [("X-Client", client)], close: true))
                return try connection.readResponse()
            }
            return (try send("curl"), try send("bad"))
        }
        #expect(good.status == 200, "\(good)")
        #expect(bad.status == 403, "act.DENY answers 403: \(bad)")
        #expect(server.requests.count == 1)
        #expect(server.requests.first?.header("x-tagged") == "seen-curl")
        #expect(server.requests.first?.header("x-var") == "seen-curl")
    }

    @Test("lua-load runs in the shared state: core.thread is 0")
    func sharedState() async throws {
        let (tidegate, port) = try await Self.start(loader: "lua-load")
        defer { tidegate.stop() }
        let response = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi")
            return try connection.readResponse()
        }
        #expect(response.bodyText == "POST /echo hi thread=0", "\(response)")
    }
}
