import Foundation
import Testing

/// HAProxy's Lua API over the running proxy: `core.backends`/`core.frontends` and their `Server`/`Proxy` objects
/// changing what the balancer and the listeners do, `core.set_map`/`core.add_acl` changing what later requests
/// match, `core.get_var` reading `proc.` variables. Two event loops: what one loop's Lua state changes, the other
/// loop's requests see.
@Suite("Lua proxy API", .timeLimit(.minutes(2)))
struct LuaProxyAPITests {
    /// `/admin/<op>` runs one API call and answers its result in `x-result`.
    static let script = """
        local mapfile, aclfile = ...
        local at_load = {}
        for name, proxy in pairs(core.backends) do at_load[#at_load + 1] = name .. "/" .. proxy:get_cap() end
        table.sort(at_load)
        core.register_fetches("at_load", function(txn) return table.concat(at_load, ",") end)

        core.register_action("admin", {"http-req"}, function(txn)
          local op = string.match(txn.sf:path(), "^/admin/(.*)$")
          local be = core.backends.be
          local s1 = be.servers.s1
          local result = "done"
          if op == "list" then
            local list = {}
            for name, proxy in pairs(core.backends) do
              local servers = {}
              for server_name, server in pairs(proxy.servers) do
                servers[#servers + 1] = server_name .. "=" .. server:get_weight()
              end
              table.sort(servers)
              list[#list + 1] = name .. "(" .. proxy:get_mode() .. "):" .. table.concat(servers, ",")
            end
            table.sort(list)
            result = table.concat(list, ";")
          elseif op == "maint" then s1:set_maint()
          elseif op == "ready" then s1:set_ready()
          elseif op == "weight0" then result = tostring(s1:set_weight("0")) .. " " .. s1:get_weight()
          elseif op == "weight1" then result = tostring(s1:set_weight("1")) .. " " .. s1:get_weight()
          elseif op == "stats" then
            local stats = s1:get_stats()
            result = stats.status .. " " .. stats.stot .. " " .. be:get_srv_act()
          elseif op == "frontend" then
            local fe = core.frontends.fe
            local listener = fe.listeners["sock-1"]:get_stats()
            local stats = fe:get_stats()
            result = listener.svname .. " " .. listener.stot .. " " .. listener.status .. " " .. stats.stot .. " "
              .. stats.status .. " " .. fe:get_cap() .. " " .. fe.uuid .. " " .. core.proxies.admin.uuid
          elseif op == "setmap" then core.set_map(mapfile, txn.sf:req_hdr("x-key"), txn.sf:req_hdr("x-value"))
          elseif op == "delmap" then core.del_map(mapfile, txn.sf:req_hdr("x-key"))
          elseif op == "addacl" then core.add_acl(aclfile, txn.sf:req_hdr("x-path"))
          elseif op == "delacl" then core.del_acl(aclfile, txn.sf:req_hdr("x-path"))
          elseif op == "getvar" then result = tostring(core.get_var("proc.x"))
          elseif op == "shut" then be.servers[txn.sf:req_hdr("x-server")]:shut_sess()
          elseif op == "pause" then core.frontends.fe:pause()
          elseif op == "resume" then core.frontends.fe:resume()
          elseif op == "stop" then core.frontends.fe:stop()
          end
          txn:set_var("txn.result", result)
        end)
        """

    struct Setup {
        let tidegate: TidegateProcess
        let port: Int
        let adminPort: Int
        let servers: [TestHTTPServer]

        func admin(_ op: String, headers: [(String, String)] = []) async throws -> String? {
            let response = try await HTTPClient.request(port: adminPort, "/admin/\(op)", headers: headers)
            #expect(response.status == 200, "\(response)")
            return response.header("x-result")
        }

        func get(_ path: String, headers: [(String, String)] = []) async throws -> RawHTTPResponse {
            try await HTTPClient.request(port: port, path, headers: headers)
        }

        func servedBy(_ count: Int) async throws -> Set<String> {
            Set(try await HTTPClient.sequential(port: port, count: count).map { $0.servedBy ?? "status \($0.status)" })
        }
    }

    static func start(loader: String = "lua-load-per-thread") async throws -> Setup {
        let servers = try await TestHTTPServer.start(count: 2)
        let scratch = try ScratchDirectory()
        let mapPath = try scratch.write("hosts.map", "a.example be_a\n")
        let aclPath = try scratch.write("blocked.lst", "/secret\n")
        let scriptPath = try scratch.write("proxy.lua", script)
        let port = try FreePort.next()
        let adminPort = try FreePort.next()
        let config = TestConfig.make(
            global: ["nbthread 2", "\(loader) \(scriptPath) \(mapPath) \(aclPath)"],
            """
            frontend fe
                bind 127.0.0.1:\(port)
                acl blocked path -f \(aclPath)
                http-request set-var(proc.x) str(hello) if { path /setvar }
                http-request return status 200 content-type text/plain lf-string "mapped=%[req.hdr(x-key),map(\(mapPath),none)]" if { path /map }
                http-request return status 200 content-type text/plain lf-string "%[lua.at_load]" if { path /at_load }
                http-request deny if blocked
                default_backend be

            frontend admin
                bind 127.0.0.1:\(adminPort)
                http-request lua.admin if { path_beg /admin/ }
                http-request return status 200 content-type text/plain hdr x-result "%[var(txn.result)]" lf-string "ok"

            backend be
                balance roundrobin
                server s1 127.0.0.1:\(servers[0].port)
                server s2 127.0.0.1:\(servers[1].port)

            backend other
                mode tcp
                server t1 127.0.0.1:1 weight 7
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port, adminPort], scratch: scratch)
        return Setup(tidegate: tidegate, port: port, adminPort: adminPort, servers: servers)
    }

    @Test(
        "core.backends lists the backends and their servers, from the script body on",
        arguments: ["lua-load-per-thread", "lua-load"])
    func listing(loader: String) async throws {
        let setup = try await Self.start(loader: loader)
        defer { setup.tidegate.stop() }
        #expect(try await setup.admin("list") == "be(http):s1=1,s2=1;other(tcp):t1=7")
        let atLoad = try await setup.get("/at_load")
        #expect(atLoad.bodyText == "be/backend,other/backend", "\(atLoad)")
        // The connections accepted by fe's only listener so far (the readiness probe, /at_load), then 3 more.
        let before = try #require(try await setup.admin("frontend")?.split(separator: " ").dropFirst().first)
        let count = try #require(Int(before))
        _ = try await setup.servedBy(3)
        // uuids in declaration order.
        let expected = "sock-1 \(count + 3) OPEN \(count + 3) OPEN frontend 1 2"
        let counted = try await eventually(timeout: .seconds(2)) { try await setup.admin("frontend") == expected }
        if !counted {
            let actual = try await setup.admin("frontend")
            #expect(actual == expected)
        }
    }

    @Test(
        "set_maint sends every request to the other server; set_ready brings the server back",
        arguments: ["lua-load-per-thread", "lua-load"])
    func maintenance(loader: String) async throws {
        let setup = try await Self.start(loader: loader)
        defer { setup.tidegate.stop() }
        #expect(try await setup.servedBy(4) == ["s1", "s2"])
        _ = try await setup.admin("maint")
        #expect(try await setup.admin("stats") == "MAINT 2 1")
        let before = setup.servers[0].requestCount
        #expect(try await setup.servedBy(10) == ["s2"])
        #expect(setup.servers[0].requestCount == before)
        _ = try await setup.admin("ready")
        #expect(try await setup.servedBy(6) == ["s1", "s2"])
        #expect(try await setup.admin("stats") == "no check 5 2")
    }

    @Test("set_weight(0) takes the server out of the rotation and get_weight reports it")
    func weight() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        #expect(try await setup.admin("weight0") == "nil 0")
        #expect(try await setup.servedBy(10) == ["s2"])
        #expect(try await setup.admin("list") == "be(http):s1=0,s2=1;other(tcp):t1=7")
        #expect(try await setup.admin("weight1") == "nil 1")
        #expect(try await setup.servedBy(6) == ["s1", "s2"])
    }

    @Test("core.set_map and core.add_acl change what later requests match; core.get_var reads proc. variables")
    func patternsAndVariables() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        #expect(try await setup.get("/map", headers: [("x-key", "b.example")]).bodyText == "mapped=none")
        _ = try await setup.admin("setmap", headers: [("x-key", "b.example"), ("x-value", "be_b")])
        // Several requests: both event loops see the change.
        for _ in 0..<4 {
            #expect(try await setup.get("/map", headers: [("x-key", "b.example")]).bodyText == "mapped=be_b")
        }
        #expect(try await setup.get("/map", headers: [("x-key", "a.example")]).bodyText == "mapped=be_a")
        _ = try await setup.admin("delmap", headers: [("x-key", "b.example")])
        #expect(try await setup.get("/map", headers: [("x-key", "b.example")]).bodyText == "mapped=none")

        #expect(try await setup.get("/secret").status == 403)
        #expect(try await setup.get("/private").status == 200)
        _ = try await setup.admin("addacl", headers: [("x-path", "/private")])
        for _ in 0..<4 {
            #expect(try await setup.get("/private").status == 403)
        }
        _ = try await setup.admin("delacl", headers: [("x-path", "/private")])
        #expect(try await setup.get("/private").status == 200)

        #expect(try await setup.admin("getvar") == "nil")
        _ = try await setup.get("/setvar")
        #expect(try await setup.admin("getvar") == "hello")
    }

    @Test("shut_sess kills the streams in progress on that server")
    func shutSessions() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        let started = ContinuousClock.now
        let slow = Task { try await HTTPClient.request(port: setup.port, "/slow?delay=4000") }
        let holding = await eventually(timeout: .seconds(5)) { setup.servers.contains { $0.inFlight == 1 } }
        try #require(holding, "the slow request never reached a server")
        let busy = setup.servers.first { $0.inFlight == 1 }!
        _ = try await setup.admin("shut", headers: [("x-server", busy.name)])
        let outcome = await slow.result
        #expect(ContinuousClock.now - started < .seconds(3), "the stream was not cut")
        if case .success(let response) = outcome {
            Issue.record("the killed stream got a response: \(response)")
        }
        #expect(try await setup.get("/").status == 200)
    }

    @Test("Proxy:pause() holds new connections in the backlog until resume(); stop() closes the listener")
    func pauseResumeStop() async throws {
        let setup = try await Self.start()
        defer { setup.tidegate.stop() }
        _ = try await setup.admin("pause")
        let started = ContinuousClock.now
        let waiting = Task { try await HTTPClient.request(port: setup.port, "/") }
        try await Task.sleep(for: .milliseconds(600))
        #expect(setup.servers.allSatisfy { $0.requestCount == 0 }, "a request went through a paused frontend")
        _ = try await setup.admin("resume")
        let response = try await waiting.value
        #expect(response.status == 200)
        #expect(ContinuousClock.now - started >= .milliseconds(600))

        _ = try await setup.admin("stop")
        let refused = await eventually(timeout: .seconds(3)) { !TestSocket.canConnect(port: setup.port) }
        #expect(refused, "the stopped frontend still accepts connections")
        #expect(try await setup.admin("getvar") == "nil", "the admin frontend keeps working")
    }
}
