import Foundation
import Testing

/// Lua in `mode tcp`, against the real binary over real sockets: `tcp-request content` and `tcp-response content`
/// actions that read the channels (waiting for data during the inspect-delay), and TCP services (`use-service`).
@Suite("Lua in TCP mode", .timeLimit(.minutes(2)))
struct LuaTCPTests {
    static let script = """
        -- Routes on the first line: "BAD..." is denied, "ALT" selects the alt backend and is not forwarded.
        core.register_action("route", {"tcp-req"}, function(txn)
          local line = txn.req:line()
          if line == nil then return end
          if line:sub(1, 3) == "BAD" then return act.DENY end
          if line == "QUIT\\n" then
            txn.res:send("bye from lua\\n")
            txn:done()
          end
          if line == "ALT\\n" then
            txn.req:getline()
            txn:set_var("txn.route", "alt")
          end
        end)
        core.register_action("nap", {"tcp-req"}, function(txn) core.msleep(1000) end)
        core.register_action("tag", {"tcp-res"}, function(txn)
          if txn.res:line() ~= nil then txn.res:insert("server said: ", 0) end
        end)
        -- In mode http, tcp-request content rules run on each parsed request: txn.http is there.
        core.register_action("httptag", {"tcp-req"}, function(txn)
          local tag = txn.http and txn.sf:req_hdr("x-tag") or "no-http"
          if tag == "deny" then return act.DENY end
          txn:set_var("txn.seen", tag)
        end)
        core.register_service("greet", "tcp", function(applet)
          applet:send("hello " .. applet.sf:src() .. "\\n")
          while true do
            local line = applet:getline()
            if line == "" then break end
            applet:send("echo: " .. line)
            if line == "quit\\n" then break end
          end
          applet:send("bye\\n")
        end)
        core.register_service("crash", "tcp", function(applet)
          applet:send("partial\\n")
          local line = applet:getline()
          error("service failed on purpose after " .. line)
        end)
        """

    struct Setup: Sendable {
        let tidegate: TidegateProcess
        let main: TCPEchoServer
        let alt: TCPEchoServer
        /// The server of the response-tagging proxy (the readiness probes reach it).
        let tagged: TCPEchoServer
        /// Ports of the frontends: route, nap, greet, crash, response tagging, mode http.
        let route: Int, nap: Int, greet: Int, crash: Int, tag: Int, http: Int
    }

    static func start() async throws -> Setup {
        let main = try await TCPEchoServer.start()
        let alt = try await TCPEchoServer.start()
        let tagged = try await TCPEchoServer.start()
        let scratch = try ScratchDirectory()
        let scriptPath = try scratch.write("tcp.lua", script)
        let ports = try FreePort.next(6)
        let config = TestConfig.make(
            global: ["nbthread 1", "lua-load-per-thread \(scriptPath)"],
            """
            frontend fe_route
                mode tcp
                bind 127.0.0.1:\(ports[0])
                tcp-request inspect-delay 3s
                tcp-request content lua.route
                use_backend alt if { var(txn.route) -m str alt }
                default_backend main

            frontend fe_nap
                mode tcp
                bind 127.0.0.1:\(ports[1])
                tcp-request inspect-delay 3s
                tcp-request content lua.nap
                default_backend main

            frontend fe_greet
                mode tcp
                bind 127.0.0.1:\(ports[2])
                tcp-request content use-service lua.greet

            frontend fe_crash
                mode tcp
                bind 127.0.0.1:\(ports[3])
                tcp-request content use-service lua.crash

            listen ls_tag
                mode tcp
                bind 127.0.0.1:\(ports[4])
                tcp-response inspect-delay 3s
                tcp-response content lua.tag
                server echo 127.0.0.1:\(tagged.port)

            frontend fe_http
                mode http
                bind 127.0.0.1:\(ports[5])
                tcp-request content lua.httptag
                http-request return status 200 content-type text/plain lf-string "seen=%[var(txn.seen)]"

            backend main
                mode tcp
                server s1 127.0.0.1:\(main.port)

            backend alt
                mode tcp
                server s2 127.0.0.1:\(alt.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: ports, scratch: scratch)
        return Setup(
            tidegate: tidegate, main: main, alt: alt, tagged: tagged, route: ports[0], nap: ports[1], greet: ports[2],
            crash: ports[3], tag: ports[4], http: ports[5])
    }

    /// Reads until `count` bytes came or the connection closed (a reset counts as closed).
    static func read(_ socket: TestSocket, count: Int) throws -> (text: String, closed: Bool) {
        var bytes: [UInt8] = []
        do {
            while bytes.count < count {
                let chunk = try socket.receive()
                if chunk.isEmpty { return (String(decoding: bytes, as: UTF8.self), true) }
                bytes += chunk
            }
        } catch let error as SocketError where error.isReset {
            return (String(decoding: bytes, as: UTF8.self), true)
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }

    /// Sends `parts` (pausing `pause` between them) and reads `expecting` bytes back.
    static func exchange(
        _ port: Int, _ parts: [String], pause: Duration = .zero, expecting count: Int
    ) async throws -> (text: String, closed: Bool) {
        try await blocking {
            let socket = try TestSocket.connect(port: port, timeout: .seconds(5))
            defer { socket.close() }
            for (index, part) in parts.enumerated() {
                if index > 0 && pause > .zero { Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18) }
                try socket.send(part)
            }
            return try Self.read(socket, count: count)
        }
    }

    @Test("a tcp-request content action reads the first line: routes ALT to another backend, waits for a split line, answers QUIT itself, denies BAD")
    func routeOnFirstLine() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }

        let (mainBefore, altBefore) = (setup.main.connectionCount, setup.alt.connectionCount)
        let plain = try await Self.exchange(setup.route, ["hello\n"], expecting: 6)
        #expect(plain.text == "hello\n")
        #expect(setup.main.connectionCount == mainBefore + 1 && setup.alt.connectionCount == altBefore)

        let routed = try await Self.exchange(setup.route, ["ALT\npayload\n"], expecting: 8)
        #expect(routed.text == "payload\n", "the routing line is consumed by getline(), the rest goes to alt")
        #expect(setup.alt.connectionCount == altBefore + 1)

        // The first line arrives in two parts 200 ms apart: line() waits for the end of the line.
        let split = try await Self.exchange(setup.route, ["AL", "T\nxyz\n"], pause: .milliseconds(200), expecting: 4)
        #expect(split.text == "xyz\n")
        #expect(setup.alt.connectionCount == altBefore + 2)

        let quit = try await Self.exchange(setup.route, ["QUIT\n"], expecting: 100)
        #expect(quit.closed && quit.text == "bye from lua\n", "txn.res:send then txn:done(): \(quit)")

        let clock = ContinuousClock()
        let started = clock.now
        let denied = try await Self.exchange(setup.route, ["BAD request\n"], expecting: 1)
        #expect(denied.closed && denied.text.isEmpty, "act.DENY closes without a byte: \(denied)")
        #expect(clock.now - started < .seconds(1))
        #expect(
            setup.main.connectionCount == mainBefore + 1 && setup.alt.connectionCount == altBefore + 2,
            "no server was contacted")
    }

    @Test("an action sleeping 1 s delays only its own connection, which is then relayed")
    func sleepingAction() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let clock = ContinuousClock()
        let started = clock.now
        async let napping = Self.exchange(setup.nap, ["ping\n"], expecting: 5)
        try await Task.sleep(for: .milliseconds(50))
        let other = try await Self.exchange(setup.route, ["other\n"], expecting: 6)
        let otherDone = clock.now - started
        let napped = try await napping
        let nappedDone = clock.now - started
        #expect(other.text == "other\n")
        #expect(napped.text == "ping\n", "relayed after the sleep: \(napped)")
        #expect(nappedDone >= .milliseconds(1000), "\(nappedDone)")
        // One event loop: a stream blocked by the sleeping one would be answered only after it.
        #expect(otherDone < nappedDone, "the other stream waited for the sleeping one: \(otherDone) vs \(nappedDone)")
    }

    @Test("a TCP service greets the client, echoes lines with applet:getline/send, and closes when it returns")
    func service() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let serversBefore = setup.main.connectionCount + setup.alt.connectionCount
        let transcript = try await blocking { () -> [String] in
            let socket = try TestSocket.connect(port: setup.greet, timeout: .seconds(5))
            defer { socket.close() }
            let greeting = try Self.read(socket, count: 16).text
            try socket.send("one\n")
            let first = try Self.read(socket, count: 10).text
            try socket.send("quit\n")
            let last = try Self.read(socket, count: 100)
            return [greeting, first, last.text, "\(last.closed)"]
        }
        #expect(transcript == ["hello 127.0.0.1\n", "echo: one\n", "echo: quit\nbye\n", "true"])
        #expect(setup.main.connectionCount + setup.alt.connectionCount == serversBefore, "no server was contacted")
    }

    @Test("a service error closes only its connection and is logged; another service connection goes on")
    func serviceError() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let results = try await blocking { () -> [String] in
            let healthy = try TestSocket.connect(port: setup.greet, timeout: .seconds(5))
            defer { healthy.close() }
            let greeting = try Self.read(healthy, count: 16).text
            let crashing = try TestSocket.connect(port: setup.crash, timeout: .seconds(5))
            defer { crashing.close() }
            let partial = try Self.read(crashing, count: 8).text
            try crashing.send("boom\n")
            let end = try Self.read(crashing, count: 100)
            try healthy.send("still there\n")
            let alive = try Self.read(healthy, count: 18).text
            return [greeting, partial, end.text, "\(end.closed)", alive]
        }
        #expect(results == ["hello 127.0.0.1\n", "partial\n", "", "true", "echo: still there\n"])
        #expect(setup.tidegate.isRunning)
        try await Task.sleep(for: .milliseconds(100))
        let log = setup.tidegate.stderrText
        #expect(log.contains("Lua service 'lua.crash': runtime error: "), "\(log)")
        #expect(log.contains("service failed on purpose after boom"), "\(log)")
    }

    @Test("a tcp-response content action sees the server's first bytes and rewrites them; later bytes pass unchanged")
    func responseAction() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let replies = try await blocking { () -> [String] in
            let socket = try TestSocket.connect(port: setup.tag, timeout: .seconds(5))
            defer { socket.close() }
            try socket.send("abc\n")
            let first = try Self.read(socket, count: 17).text
            try socket.send("def\n")
            let second = try Self.read(socket, count: 4).text
            return [first, second]
        }
        #expect(replies == ["server said: abc\n", "def\n"])
    }

    @Test("mode http: a tcp-request content Lua action runs on each request with txn.http; act.DENY closes the connection")
    func httpMode() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let (tagged, denied) = try await blocking { () -> (RawHTTPResponse, (text: String, closed: Bool)) in
            let connection = try RawHTTPConnection(port: setup.http, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send(RawRequest.get("/", headers: [("X-Tag", "hi")], close: true))
            let tagged = try connection.readResponse()
            let socket = try TestSocket.connect(port: setup.http, timeout: .seconds(5))
            defer { socket.close() }
            try socket.send("GET / HTTP/1.1\r\nHost: t\r\nX-Tag: deny\r\n\r\n")
            return (tagged, try Self.read(socket, count: 1))
        }
        #expect(tagged.status == 200 && tagged.bodyText == "seen=hi", "\(tagged)")
        #expect(denied.closed && denied.text.isEmpty, "\(denied)")
    }

    @Test("300 clients closing at once while services write to them: the process lives on (no teardown under running Lua code)")
    func clientsLeavingServices() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        try await blocking {
            for round in 0..<300 {
                let socket = try TestSocket.connect(port: round % 2 == 0 ? setup.greet : setup.crash, timeout: .seconds(5))
                if round % 4 < 2 { try? socket.send("x\n") }
                socket.close()
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(setup.tidegate.isRunning, "\(setup.tidegate.stderrText)")
        let greeting = try await Self.exchange(setup.greet, [], expecting: 16)
        #expect(greeting.text == "hello 127.0.0.1\n")
    }
}
