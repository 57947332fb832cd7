import Foundation
import Testing

/// Actions that give the hand back and come again, against the real binary: `act.YIELD` (the action runs again,
/// after `act.wake_time(ms)` or at the stream's next wake-up), `core.wait([ms])` in actions and tasks (woken by
/// its delay, by client data in `mode tcp`, by a `Queue:alarm()` push), and `act.YIELD` where yielding is not
/// allowed (`http-after-response`).
@Suite("Lua act.YIELD and core.wait", .timeLimit(.minutes(2)))
struct LuaYieldWaitTests {
    static let script = """
        -- Milliseconds since a core.now() value.
        local function since(before)
          local now = core.now()
          return (now.sec - before.sec) * 1000 + (now.usec - before.usec) // 1000
        end
        -- Counts its runs in the transaction's private data: YIELD three times, then go on.
        core.register_action("yield3", {"http-req"}, function(txn)
          local runs = (txn:get_priv() or 0) + 1
          txn:set_priv(runs)
          if runs <= 3 then return act.YIELD end
          txn:set_var("txn.reruns", runs - 1)
        end)
        -- YIELD once, asking to run again 300 ms later.
        core.register_action("later", {"http-req"}, function(txn)
          if txn:get_priv() == nil then
            txn:set_priv(core.now())
            act.wake_time(300)
            return act.YIELD
          end
          txn:set_var("txn.waited", since(txn:get_priv()))
        end)
        core.register_action("after", {"http-after-res"}, function(txn)
          txn:set_var("txn.after", "ran")
          return act.YIELD
        end)
        core.register_action("waitms", {"http-req"}, function(txn, ms)
          local before = core.now()
          core.wait(tonumber(ms))
          txn:set_var("txn.waited", since(before))
        end, 1)
        core.register_action("stop", {"http-req"}, function(txn) return act.STOP end)

        -- mode tcp: wait for a 6-byte line, woken by the client's data (core.wait() has no delay).
        core.register_action("waitdata", {"tcp-req"}, function(txn)
          local wakeups = 0
          while txn.req:input() < 6 do
            core.wait()
            wakeups = wakeups + 1
          end
          txn.res:send("wakeups=" .. wakeups .. "\\n")
        end)
        -- mode tcp: act.YIELD until 6 bytes came; counts its runs.
        core.register_action("yielddata", {"tcp-req"}, function(txn)
          local runs = (txn:get_priv() or 0) + 1
          txn:set_priv(runs)
          if txn.req:input() < 6 then return act.YIELD end
          txn.res:send("runs=" .. runs .. "\\n")
        end)

        -- Services: an HTTP one waits 150 ms; a TCP one waits (no delay) for the client's bytes.
        core.register_service("napper", "http", function(applet)
          local before = core.now()
          core.wait(150)
          applet:start_response()
          applet:send("waited=" .. since(before))
        end)
        core.register_service("waiter", "tcp", function(applet)
          local got, wakeups = "", 0
          while #got < 6 do
            local chunk = applet:try_receive()
            if chunk == "" then break end
            if chunk then got = got .. chunk else core.wait() wakeups = wakeups + 1 end
          end
          applet:send("wakeups=" .. wakeups .. " got=" .. got)
        end)

        -- Tasks: one waits 200 ms; one waits with no delay until a queue it set an alarm on gets a value.
        local timed = "not yet"
        core.register_task(function()
          local before = core.now()
          core.wait(200)
          timed = "resumed after " .. since(before) .. " ms"
        end)
        local queue = core.queue()
        local alarmed = "waiting"
        core.register_task(function()
          queue:alarm()
          core.wait()
          alarmed = "woken: " .. tostring(queue:pop())
        end)
        core.register_action("status", {"http-req"}, function(txn)
          txn:set_var("txn.timed", timed)
          txn:set_var("txn.alarmed", alarmed)
        end)
        core.register_action("push", {"http-req"}, function(txn) queue:push("v1") end)
        """

    struct Setup: Sendable {
        let tidegate: TidegateProcess
        let http: Int
        let tcp: Int
        let tcpYield: Int
        let tcpService: Int
        let echo: TCPEchoServer
        let web: TestHTTPServer
    }

    static func start() async throws -> Setup {
        let echo = try await TCPEchoServer.start()
        let web = try await TestHTTPServer.start(name: "web")
        let scratch = try ScratchDirectory()
        let scriptPath = try scratch.write("yield.lua", script)
        let ports = try FreePort.next(4)
        let config = TestConfig.make(
            global: ["nbthread 1", "lua-load-per-thread \(scriptPath)"],
            """
            frontend fe
                bind 127.0.0.1:\(ports[0])
                http-request lua.yield3 if { path /yield3 }
                http-request lua.later if { path /later }
                http-request lua.waitms 200 if { path /wait }
                http-request lua.waitms 5000 if { path /waitbody }
                http-request lua.status if { path /status }
                http-request lua.push if { path /push }
                http-request use-service lua.napper if { path /napper }
                http-request lua.stop if { path /stop }
                http-request set-header x-after-stop yes if { path /stop }
                http-after-response lua.after if { path /after }
                http-after-response set-header x-after "%[var(txn.after)]" if { path /after }
                http-request return status 200 content-type text/plain hdr x-reruns "%[var(txn.reruns)]" hdr x-waited "%[var(txn.waited)]" lf-string "timed=%[var(txn.timed)];alarmed=%[var(txn.alarmed)]" unless { path /stop } || { path /after }
                default_backend web

            frontend fe_tcp
                mode tcp
                bind 127.0.0.1:\(ports[1])
                bind 127.0.0.1:\(ports[2])
                tcp-request inspect-delay 30s
                tcp-request content lua.waitdata if { dst_port \(ports[1]) }
                tcp-request content lua.yielddata if { dst_port \(ports[2]) }
                default_backend echo

            frontend fe_tcp_service
                mode tcp
                bind 127.0.0.1:\(ports[3])
                tcp-request content use-service lua.waiter

            backend web
                server w1 127.0.0.1:\(web.port)

            backend echo
                mode tcp
                server e1 127.0.0.1:\(echo.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: ports, scratch: scratch)
        return Setup(tidegate: tidegate, http: ports[0], tcp: ports[1], tcpYield: ports[2], tcpService: ports[3], echo: echo, web: web)
    }

    @Test("an action returning act.YIELD runs again, with the same transaction, until it returns something else")
    func yieldRunsTheActionAgain() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let response = try await HTTPClient.request(port: setup.http, "/yield3")
        #expect(response.status == 200, "\(response)")
        #expect(response.header("x-reruns") == "3", "three runs after the first one: \(response)")
    }

    @Test(
        "act.wake_time(300) then act.YIELD runs the action again, core.wait(200) resumes it: not before the delay",
        arguments: [("/later", 300), ("/wait", 200)])
    func delayedRuns(path: String, delay: Int) async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let clock = ContinuousClock()
        let started = clock.now
        let response = try await HTTPClient.request(port: setup.http, path)
        let elapsed = clock.now - started
        #expect(response.status == 200, "\(response)")
        #expect(elapsed >= .milliseconds(delay), "\(elapsed)")
        // Measured in Lua between the two runs (or around the wait); core.now() has ms resolution.
        let waited = Int(response.header("x-waited") ?? "") ?? -1
        #expect(waited >= delay - 10, "\(path): \(waited) ms")
    }

    @Test("act.YIELD where yielding is not allowed (http-after-response): logged as 'yield not allowed', the response goes on")
    func yieldInAfterResponse() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let response = try await HTTPClient.request(port: setup.http, "/after")
        #expect(response.status == 200 && response.servedBy == "web", "\(response)")
        #expect(response.header("x-after") == "ran", "the rules went on after the action: \(response)")
        try await Task.sleep(for: .milliseconds(100))
        #expect(
            setup.tidegate.stderrText.contains("Lua function 'lua.after': yield not allowed"), "\(setup.tidegate.stderrText)")
    }

    @Test("act.STOP skips the rest of the rule list: the request goes to the server without the next rule's header")
    func stopSkipsTheRest() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let response = try await HTTPClient.request(port: setup.http, "/stop")
        #expect(response.status == 200 && response.servedBy == "web", "\(response)")
        #expect(setup.web.requests.last?.header("x-after-stop") == nil, "the set-header after the action did not run")
    }

    @Test("mode http: core.wait(5000) in a request action is woken by request body bytes arriving meanwhile")
    func waitWokenByRequestBody() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let (answeredEarly, response) = try await blocking {
            let connection = try RawHTTPConnection(port: setup.http, timeout: .seconds(10))
            defer { connection.close() }
            try connection.send("POST /waitbody HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.3)
            // The action still waits: nothing was answered before the body (peek without blocking).
            var byte: UInt8 = 0
            let early = recv(connection.socket.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
            try connection.send("hello")
            return (early, try connection.readResponse())
        }
        #expect(!answeredEarly, "the wait ended before the body came")
        #expect(response.status == 200, "\(response)")
        let waited = Int(response.header("x-waited") ?? "") ?? -1
        #expect(waited >= 0 && waited < 4000, "woken by the body, not by the 5 s delay: \(waited) ms")
    }

    @Test("services: core.wait(150) in an HTTP service resumes after its delay; a TCP service's core.wait() is woken by client bytes")
    func waitInServices() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let napper = try await HTTPClient.request(port: setup.http, "/napper")
        #expect(napper.status == 200, "\(napper)")
        #expect((Int(napper.bodyText.dropFirst("waited=".count)) ?? -1) >= 140, "\(napper)")

        // Nothing but the client's bytes can wake the TCP service (the exchange gives up after 5 s of silence).
        let result = try await LuaTCPTests.exchange(
            setup.tcpService, ["hel", "lo\n"], pause: .milliseconds(200), expecting: 1000)
        #expect(result.text.hasSuffix(" got=hello\n"), "\(result)")
        let wakeups = Int(result.text.dropFirst("wakeups=".count).prefix { $0 != " " }) ?? 0
        #expect(wakeups >= 1, "\(result)")
    }

    @Test("tasks: core.wait(200) resumes after its delay; core.wait() waits until a push to a queue it set an alarm on")
    func waitInTasks() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        var status = ""
        for _ in 0..<200 {
            status = try await HTTPClient.request(port: setup.http, "/status").bodyText
            if !status.contains("not yet") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let timed = status.split(separator: ";").first.map(String.init) ?? ""
        #expect(timed.hasPrefix("timed=resumed after "), "\(status)")
        #expect((Int(timed.split(separator: " ").dropLast().last ?? "") ?? -1) >= 190, "\(status)")
        // Nothing wakes the other task but the push, however long it waits.
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await HTTPClient.request(port: setup.http, "/status").bodyText.hasSuffix("alarmed=waiting"))
        _ = try await HTTPClient.request(port: setup.http, "/push")
        var alarmed = ""
        for _ in 0..<200 {
            alarmed = try await HTTPClient.request(port: setup.http, "/status").bodyText
            if !alarmed.hasSuffix("alarmed=waiting") { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(alarmed.hasSuffix("alarmed=woken: v1"), "\(alarmed)")
    }

    @Test("mode tcp: core.wait() without a delay is woken by the client's data, long before the inspect-delay ends")
    func waitWokenByClientData() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        // The exchange gives up after 5 s without an answer: only a wake-up by the data answers before the 30 s
        // inspect-delay ends.
        let result = try await LuaTCPTests.exchange(
            setup.tcp, ["hel", "lo\n"], pause: .milliseconds(200), expecting: "wakeups=2\nhello\n".utf8.count)
        #expect(result.text.hasPrefix("wakeups="), "\(result)")
        // Once per part (once if a loaded machine read both parts at once).
        #expect((Int(result.text.dropFirst("wakeups=".count).prefix { $0 != "\n" }) ?? 0) >= 1, "\(result)")
        #expect(result.text.hasSuffix("hello\n"), "then relayed to the server: \(result)")
    }

    @Test("mode tcp: an action returning act.YIELD without act.wake_time runs again at each client data, not in a loop")
    func yieldRerunOnClientData() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let result = try await LuaTCPTests.exchange(
            setup.tcpYield, ["hel", "lo\n"], pause: .milliseconds(300), expecting: "runs=3\nhello\n".utf8.count)
        #expect(result.text.hasSuffix("hello\n"), "relayed once the action went on: \(result)")
        // A first run at the connection, one per part (or one for both on a loaded machine): a rerun at every loop
        // turn would count thousands.
        let runs = Int(result.text.dropFirst("runs=".count).prefix { $0 != "\n" }) ?? -1
        #expect((2...4).contains(runs), "\(result)")
    }
}
