import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The runtime API (`stats socket`) of the real binary, over a UNIX socket at level admin and a TCP socket at level
/// user: HAProxy's commands changing what the proxy does (seen through HTTP), the session modes, errors, and Lua
/// `core.register_cli` commands. Two event loops: a change made through one connection is seen by every loop.
@Suite("Runtime API", .timeLimit(.minutes(2)))
struct RuntimeAPITests {
    static let script = """
        core.register_cli({"greet"}, "greet <who>...  : answers with its arguments", function(applet, ...)
          applet:send("hello " .. table.concat({...}, "|") .. " from thread " .. core.thread .. "\\n")
        end)
        core.register_cli({"fail", "now"}, "fail now : raises an error", function(applet)
          applet:send("about to fail\\n")
          error("deliberate failure")
        end)
        """

    struct Setup {
        let tidegate: TidegateProcess
        let port: Int
        let cliPort: Int
        let socketPath: String
        let mapPath: String
        let aclPath: String
        let servers: [TestHTTPServer]

        /// Sends `text` on a new connection to the admin UNIX socket (or the user TCP one) and reads until the
        /// proxy closes it.
        func cli(_ text: String, tcp: Bool = false) async throws -> String {
            let (path, port) = (socketPath, cliPort)
            return try await blocking {
                let socket = tcp ? try TestSocket.connect(port: port) : try TestSocket.connect(unixPath: path)
                try socket.send(text)
                return String(decoding: try socket.receiveUntilClosed(), as: UTF8.self)
            }
        }

        func servedBy(_ count: Int, path: String = "/") async throws -> Set<String> {
            let responses = try await HTTPClient.sequential(port: port, count: count, path: path)
            return Set(responses.map { $0.servedBy ?? "status \($0.status)" })
        }

        func get(_ path: String, headers: [(String, String)] = []) async throws -> RawHTTPResponse {
            try await HTTPClient.request(port: port, path, headers: headers)
        }
    }

    static func start(loader: String = "lua-load-per-thread", staleSocket: Bool = false) async throws -> Setup {
        let servers = try await TestHTTPServer.start(count: 2)
        let scratch = try ScratchDirectory()
        let mapPath = try scratch.write("hosts.map", "a.example from-file\n")
        let aclPath = try scratch.write("blocked.lst", "/secret\n")
        let scriptPath = try scratch.write("cli.lua", script)
        let socketPath = scratch.file("admin.sock")
        if staleSocket { try Self.leaveStaleSocket(at: socketPath) }
        let port = try FreePort.next()
        let cliPort = try FreePort.next()
        let config = TestConfig.make(
            global: [
                "nbthread 2", "stats socket \(socketPath) mode 600 level admin",
                "stats socket ipv4@127.0.0.1:\(cliPort) level user", "stats timeout 30s", "\(loader) \(scriptPath)",
            ],
            """
            frontend fe
                bind 127.0.0.1:\(port)
                acl blocked path -f \(aclPath)
                http-request deny if blocked
                http-request return status 200 content-type text/plain lf-string "mapped=%[req.hdr(x-key),map(\(mapPath),none)]" if { path /map }
                default_backend be

            backend be
                balance roundrobin
                server s1 127.0.0.1:\(servers[0].port) weight 10
                server s2 127.0.0.1:\(servers[1].port) weight 10
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port, cliPort], scratch: scratch)
        let ready = await eventually(timeout: .seconds(10)) {
            (try? await blocking { try TestSocket.connect(unixPath: socketPath, timeout: .seconds(2)) }) != nil
        }
        try #require(ready, "no runtime API on \(socketPath); stderr:\n\(tidegate.stderrText)")
        return Setup(
            tidegate: tidegate, port: port, cliPort: cliPort, socketPath: socketPath, mapPath: mapPath,
            aclPath: aclPath, servers: servers)
    }

    /// A socket file nobody listens on, as a crashed process leaves it.
    static func leaveStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = TestSocket.unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        try #require(bound == 0 && FileManager.default.fileExists(atPath: path))
    }

    @Test("show info reports the process id, on the UNIX socket (replacing a stale file) and on the TCP one; the file goes at exit")
    func showInfo() async throws {
        let setup = try await Self.start(staleSocket: true)
        for tcp in [false, true] {
            let info = try await setup.cli("show info\n", tcp: tcp)
            #expect(info.hasPrefix("Name: Tidegate\n"), "\(info)")
            #expect(info.contains("\nPid: \(setup.tidegate.pid)\n"), "\(info)")
            #expect(info.contains("\nNbthread: 2\n"))
            #expect(info.hasSuffix("\n\n"), "an empty line ends the answer")
        }
        setup.tidegate.signal(SIGTERM)
        try await setup.tidegate.waitForExit(timeout: .seconds(20))
        #expect(!FileManager.default.fileExists(atPath: setup.socketPath), "the socket file is removed at exit")
    }

    @Test("disable server and set server state maint stop a server's traffic; enable server and state ready bring it back")
    func serverStates() async throws {
        let setup = try await Self.start()
        #expect(try await setup.servedBy(6) == ["s1", "s2"])

        #expect(try await setup.cli("disable server be/s1\n") == "\n")
        #expect(try await setup.servedBy(8) == ["s2"])
        let stat = try await setup.cli("show stat\n")
        #expect(stat.hasPrefix("# pxname,svname,qcur,qmax,scur,smax,slim,stot,"))
        #expect(stat.contains("\nbe,s1,0,,0,"), "\(stat)")
        #expect(stat.split(separator: "\n").contains { $0.hasPrefix("be,s1,") && $0.contains(",MAINT,") })

        #expect(try await setup.cli("enable server be/s1\n") == "\n")
        #expect(try await setup.servedBy(6) == ["s1", "s2"])

        #expect(try await setup.cli("set server be/s2 state maint\n") == "\n")
        #expect(try await setup.servedBy(8) == ["s1"])
        let state = try await setup.cli("show servers state be\n")
        #expect(state.hasPrefix("1\n# be_id be_name srv_id srv_name "), "\(state)")
        #expect(state.contains("\n2 be 2 s2 127.0.0.1 2 1 10 10 "), "s2 forced into maintenance: \(state)")
        #expect(try await setup.cli("set server be/s2 state ready\n") == "\n")
        #expect(try await setup.servedBy(6) == ["s1", "s2"])
        #expect(try await setup.cli("set server be/nope state maint\n") == "No such server.\n\n")
    }

    @Test("set weight changes get weight and the balancing; several commands on one line are answered in order")
    func weights() async throws {
        let setup = try await Self.start()
        #expect(
            try await setup.cli("set weight be/s1 50%;get weight be/s1;show cli level\n")
                == "\n5 (initial 10)\n\nadmin\n\n")
        #expect(try await setup.cli("set server be/s1 weight 0\n") == "\n")
        #expect(try await setup.servedBy(8) == ["s2"])
        #expect(try await setup.cli("set weight be/s1 100%\n") == "\n")
        #expect(try await setup.cli("get weight be/s1\n") == "10 (initial 10)\n\n")
        #expect(try await setup.servedBy(6) == ["s1", "s2"])
        #expect(
            try await setup.cli("set weight be/s1 300\n")
                == "Absolute weight can only be between 0 and 256 inclusive.\n\n")
    }

    @Test("add map, set map and del map change what map() returns on every event loop; del acl lifts a deny")
    func mapsAndACLs() async throws {
        let setup = try await Self.start()
        func mapped(_ key: String) async throws -> Set<String> {
            var bodies = Set<String>()
            for _ in 0..<6 { bodies.insert(try await setup.get("/map", headers: [("x-key", key)]).bodyText) }
            return bodies
        }
        #expect(try await mapped("b.example") == ["mapped=none"])
        #expect(try await setup.cli("add map \(setup.mapPath) b.example from-cli\n") == "\n")
        #expect(try await mapped("b.example") == ["mapped=from-cli"])
        #expect(try await setup.cli("set map \(setup.mapPath) a.example changed\n") == "\n")
        #expect(try await mapped("a.example") == ["mapped=changed"])
        #expect(try await setup.cli("show map \(setup.mapPath)\n") == "0x1 a.example changed\n0x2 b.example from-cli\n\n")
        #expect(try await setup.cli("del map \(setup.mapPath) b.example\n") == "\n")
        #expect(try await mapped("b.example") == ["mapped=none"])
        #expect(
            try await setup.cli("add map /nope.map k v\n") == "Unknown map identifier. Please use #<id> or <file>.\n\n")

        #expect(try await setup.get("/secret").status == 403)
        #expect(try await setup.cli("del acl \(setup.aclPath) /secret\n") == "\n")
        #expect(try await setup.servedBy(4, path: "/secret").isSubset(of: ["s1", "s2"]))
        #expect(try await setup.cli("add acl \(setup.aclPath) /secret\n") == "\n")
        #expect(try await setup.get("/secret").status == 403)
    }

    @Test("prompt opens an interactive session: a prompt after each answer, open until quit")
    func interactive() async throws {
        let setup = try await Self.start()
        let path = setup.socketPath
        let transcript = try await blocking {
            let socket = try TestSocket.connect(unixPath: path)
            var parts: [String] = []
            try socket.send("prompt\n")
            parts.append(try socket.receive(until: "> "))
            try socket.send("show backend\n")
            parts.append(try socket.receive(until: "> "))
            try socket.send("get weight be/s2\n")
            parts.append(try socket.receive(until: "> "))
            try socket.send("quit\n")
            parts.append(String(decoding: try socket.receiveUntilClosed(), as: UTF8.self))
            return parts
        }
        #expect(transcript == ["\n> ", "# name\nbe\n\n> ", "10 (initial 10)\n\n> ", ""])
    }

    @Test("an unknown command is answered with the command list; admin commands are refused at level user")
    func unknownAndPermissions() async throws {
        let setup = try await Self.start()
        let unknown = try await setup.cli("frobnicate now\n")
        #expect(unknown.hasPrefix("Unknown command: 'frobnicate now'. Please enter one of the following commands only:\n"))
        #expect(unknown.contains("\n  show info "))
        #expect(unknown.contains("\n  greet <who>...  : answers with its arguments\n"), "Lua commands are listed")
        #expect(unknown.hasSuffix("\n\n"))

        #expect(try await setup.cli("disable server be/s1\n", tcp: true) == "Permission denied\n\n")
        #expect(try await setup.cli("add map \(setup.mapPath) x y\n", tcp: true) == "Permission denied\n\n")
        #expect(try await setup.servedBy(6) == ["s1", "s2"], "nothing changed")
        #expect(try await setup.cli("show cli level;get weight be/s1\n", tcp: true) == "user\n\n10 (initial 10)\n\n")
    }

    @Test(
        "a Lua register_cli command gets every word and answers; one that raises is answered and logged, the process lives on",
        arguments: ["lua-load-per-thread", "lua-load"])
    func luaCommands(loader: String) async throws {
        let setup = try await Self.start(loader: loader)
        let greeting = try await setup.cli("greet a b\\ c d;show cli level\n")
        let thread = loader == "lua-load" ? "0" : "[12]"
        let expected = "^hello greet\\|a\\|b c\\|d from thread \(thread)\n\nadmin\n\n$"
        #expect(greeting.range(of: expected, options: .regularExpression) != nil, "\(greeting)")
        let failure = try await setup.cli("fail now;greet again\n")
        #expect(failure.hasPrefix("about to fail\nLua cli 'fail.now': runtime error: "), "\(failure)")
        #expect(failure.contains("deliberate failure\n\nhello greet|again from thread "), "\(failure)")
        #expect(setup.tidegate.isRunning)
        #expect(try await setup.cli("show info\n").contains("\nPid: \(setup.tidegate.pid)\n"))
        #expect(try await setup.servedBy(2) == ["s1", "s2"])
        let logged = await eventually(timeout: .seconds(10)) {
            setup.tidegate.stderrText.contains("Lua cli 'fail.now': runtime error: ")
        }
        #expect(logged, "\(setup.tidegate.stderrText)")
    }
}

/// Configuration checks of the runtime API (`tidegate -c`).
@Suite("Runtime API configuration", .timeLimit(.minutes(1)))
struct RuntimeAPIConfigTests {
    @Test("a Lua command may not take a built-in command's words; a bad stats socket option names its line")
    func checks() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let script = try scratch.write("clash.lua", #"core.register_cli({"show", "info"}, "x", function(applet) end)"#)
        let clash = try scratch.write(
            "clash.cfg", TestConfig.make(global: ["lua-load \(script)"], "backend be\n    server s 127.0.0.1:1"))
        let result = try await TidegateProcess.runToCompletion(arguments: ["-c", "-f", clash], in: scratch)
        #expect(result.status == 1)
        #expect(result.stderr.contains("Lua cli 'show.info': the runtime API command 'show info' already exists."))

        let bad = try scratch.write(
            "bad.cfg",
            TestConfig.make(global: ["stats socket /tmp/x.sock level root"], "backend be\n    server s 127.0.0.1:1"))
        let refused = try await TidegateProcess.runToCompletion(arguments: ["-c", "-f", bad], in: scratch)
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains(
                "parsing [\(bad):2] : 'stats socket level' only supports 'user', 'operator', and 'admin' (got 'root')."),
            "\(refused.stderr)")
    }
}
