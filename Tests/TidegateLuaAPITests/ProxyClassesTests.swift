import NIOCore
import Testing
import TidegateCore
import TidegateLua
import TidegateLuaAPI

/// `core.proxies`/`backends`/`frontends` and the `Proxy`, `Server` and `Listener` classes over a real Lua state.
@Suite struct ProxyClassesTests {
    @Test func tablesListTheSectionsByCapability() throws {
        let harness = try ProxyHarness()
        let listing = try harness.string(
            """
            local function names(t)
              local list = {}
              for name, proxy in pairs(t) do list[#list + 1] = name .. "=" .. proxy:get_cap() end
              table.sort(list)
              return table.concat(list, " ")
            end
            return names(core.proxies) .. " | " .. names(core.frontends) .. " | " .. names(core.backends)
            """)
        #expect(
            listing == "be=backend both=proxy fe=frontend | both=proxy fe=frontend | be=backend both=proxy fe=backend")
        let fields = try harness.string(
            """
            local be = core.backends.be
            local servers = {}
            for name, server in pairs(be.servers) do servers[#servers + 1] = name .. "#" .. server.puid end
            table.sort(servers)
            return table.concat({ be.name, be.uuid, be:get_name(), be:get_uuid(), be:get_mode(),
              core.proxies.both:get_mode(), tostring(be.stktable), table.concat(servers, ","),
              tostring(core.proxies.fe.listeners.admin ~= nil), tostring(core.proxies.fe.listeners["sock-1"] ~= nil),
              type(core.frontends.fe.uuid) }, " ")
            """)
        #expect(fields == "be 2 be 2 http tcp nil b1#3,s1#1,s2#2 true true string")
    }

    @Test func serverGettersAndIdentity() throws {
        let harness = try ProxyHarness()
        let values = try harness.run(
            """
            local s1 = core.backends.be.servers.s1
            local b1 = core.backends.be.servers.b1
            return s1:get_name(), s1.name, s1:get_puid(), s1:get_rid(), s1:is_backup(), b1:is_backup(),
              s1:is_dynamic(), s1:get_addr(), s1:get_weight(), s1:get_maxconn(), s1:get_cur_sess(),
              s1:get_pend_conn(), s1:get_proxy() == core.backends.be, s1:get_proxy():get_name(), s1:is_draining()
            """)
        #expect(
            values == [
                "s1", "s1", "1", "0", false, true, false, "127.0.0.1:9000", 10, 0, 0, 0, true, "be", false,
            ])
    }

    @Test func weightAndMaxconnSettersAnswerLikeHAProxy() throws {
        let harness = try ProxyHarness()
        let values = try harness.run(
            """
            local s1 = core.backends.be.servers.s1
            local t1 = core.proxies.both.servers.t1
            return s1:set_weight("5"), s1:get_weight(), s1:set_weight(50), s1:get_weight(), s1:set_weight("300"),
              s1:set_weight("x"), t1:set_weight("2"), t1:set_weight("0%"), t1:get_weight(), s1:set_maxconn("12"),
              s1:get_maxconn(), s1:set_maxconn("12x"), s1:set_weight("0"), s1:is_draining()
            """)
        #expect(
            values == [
                .nil, 5, .nil, 50, "Absolute weight can only be between 0 and 256 inclusive.",
                "Empty weight string empty or preceded by garbage",
                "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.", .nil, 0, .nil, 12,
                "Trailing garbage in maxconn string", .nil, true,
            ])
        #expect(harness.s1.weight == 0 && !harness.s1.isUsable)
        #expect(harness.s1.maxConnections == 12)
        #expect(harness.staticBackend.servers[0].weight == 0)
        #expect(
            try harness.error("core.backends.be.servers.s1:set_weight()")?.hasSuffix(
                "bad argument #2 to 'set_weight' (string expected, got no value)") == true)
    }

    @Test func administrativeStatesChangeWhatTheBalancerMayPick() throws {
        let harness = try ProxyHarness()
        let s1 = harness.s1
        func status() throws -> String? {
            try harness.string("return core.backends.be.servers.s1:get_stats().status")
        }
        #expect(try status() == "no check")
        try harness.run("core.backends.be.servers.s1:set_maint()")
        #expect(s1.isAdminDown && !s1.isUsable)
        #expect(try status() == "MAINT")
        #expect(try harness.run("return core.backends.be:get_srv_act(), core.backends.be:get_srv_bck()") == [1, 1])
        try harness.run("core.backends.be.servers.s1:set_drain()")
        #expect(!s1.isAdminDown && s1.hasDrainFlag && !s1.isUsable)
        #expect(try status() == "DRAIN")
        #expect(try harness.run("return core.backends.be.servers.s1:is_draining()") == [true])
        try harness.run("core.backends.be.servers.s1:set_ready()")
        #expect(s1.isUsable)
        try harness.run("core.backends.be.servers.s1:check_force_down()")
        #expect(try status() == "DOWN")
        #expect(!s1.isUsable)
        try harness.run("core.backends.be.servers.s1:check_force_nolb()")
        #expect(try status() == "NOLB")
        try harness.run("core.backends.be.servers.s1:check_force_up()")
        #expect(try status() == "no check")
        // No health check nor agent configured: these change nothing.
        try harness.run(
            """
            local s1 = core.backends.be.servers.s1
            s1:check_disable() s1:check_enable() s1:agent_disable() s1:agent_enable()
            s1:agent_force_down() s1:agent_force_up()
            """)
        #expect(s1.isUsable)
        #expect(try harness.run("return core.backends.be:get_srv_act()") == [2])
    }

    @Test func proxyAndServerActionsGoThroughTheRunningProxy() throws {
        let harness = try ProxyHarness()
        try harness.run(
            """
            core.frontends.fe:pause()
            core.frontends.fe:pause()
            core.frontends.fe:resume()
            core.backends.be:pause()
            core.backends.be.servers.s2:shut_sess()
            core.backends.be:shut_bcksess()
            core.frontends.fe:stop()
            core.frontends.fe:resume()
            core.backends.be:stop()
            """)
        #expect(harness.control.calls == ["pause fe", "resume fe", "shutdown s2", "shutdown b1", "stop fe"])
        #expect(try harness.string("return core.frontends.fe:get_stats().status") == "STOP")
        #expect(harness.catalog.proxies[1].runState == .stopped)
        let notRunning = try ProxyHarness(attachControl: false)
        #expect(
            try notRunning.error("core.frontends.fe:pause()")?.hasSuffix(
                "'pause': the proxy is not running yet (not available in the body or init context)") == true)
        // Before the proxy runs, set_addr changes the model only (HAProxy moves the server then too).
        #expect(
            try notRunning.string("return core.backends.be.servers.s1:set_addr('127.0.0.2')")
                == "IP changed from '127.0.0.1' to '127.0.0.2' by 'Lua script'")
    }

    @Test func setAddrMovesTheServerAndReportsLikeHAProxy() throws {
        let harness = try ProxyHarness()
        let before = harness.s1.currentAddress
        let reports = try harness.run(
            """
            local s1 = core.backends.be.servers.s1
            local r = {}
            r[#r + 1] = s1:set_addr("127.0.0.1")
            r[#r + 1] = s1:get_addr()
            r[#r + 1] = s1:set_addr("10.1.2.3", "8080")
            r[#r + 1] = s1:get_addr()
            r[#r + 1] = s1:set_addr("10.1.2.3", 8080)
            r[#r + 1] = s1:set_addr("::1", "81")
            r[#r + 1] = s1:get_addr()
            r[#r + 1] = s1:get_stats().addr
            r[#r + 1] = s1:set_addr("backend.example.com")
            r[#r + 1] = s1:set_addr("[::1]")
            r[#r + 1] = s1:set_addr("::1", "http")
            r[#r + 1] = s1:set_addr("10.0.0.9", "+10")
            r[#r + 1] = s1:get_addr()
            return table.unpack(r)
            """)
        #expect(
            reports == [
                "no need to change the addr by 'Lua script'",
                "127.0.0.1:9000",
                "IP changed from '127.0.0.1' to '10.1.2.3', port changed from '9000' to '8080' by 'Lua script'",
                "10.1.2.3:8080",
                "no need to change the addr, no need to change the port by 'Lua script'",
                "IP changed from '10.1.2.3' to '::1', port changed from '8080' to '81' by 'Lua script'",
                "::1:81",
                "[::1]:81",
                "Invalid addr 'backend.example.com' by 'Lua script'",
                "Invalid addr '[::1]' by 'Lua script'",
                "no need to change the addr, problem converting port 'http' to an int by 'Lua script'",
                "IP changed from '::1' to '10.0.0.9', port maps ('+<n>', '-<n>') are not supported by 'Lua script'",
                "10.0.0.9:81",
            ])
        #expect(harness.s1.address == (try SocketAddress(ipAddress: "10.0.0.9", port: 81)))
        #expect(harness.control.calls == ["address s1", "address s1", "address s1"])
        // Back to the first address: the same address object again, so idle connections to it are reusable.
        #expect(harness.s1.setAddress(try SocketAddress(ipAddress: "127.0.0.1", port: 9000)))
        #expect(harness.s1.currentAddress === before)
        #expect(!harness.s1.setAddress(try SocketAddress(ipAddress: "127.0.0.1", port: 9000)))
        #expect(
            try harness.error("core.backends.be.servers.s1:set_addr()")?.hasSuffix(
                "bad argument #2 to 'set_addr' (string expected, got no value)") == true)
    }

    @Test func statsTables() throws {
        let harness = try ProxyHarness()
        _ = harness.s1.tryAcquireSlot()
        let frontend = try harness.run(
            """
            local s = core.frontends.fe:get_stats()
            return s.pxname, s.svname, s.type, s.iid, s.scur, s.stot, s.slim, s.status, s.mode
            """)
        #expect(frontend == ["fe", "FRONTEND", 0, 1, 3, 42, 100, "OPEN", "http"])
        let backend = try harness.run(
            """
            local s = core.backends.be:get_stats()
            return s.svname, s.type, s.scur, s.stot, s.act, s.bck, s.weight, s.status, s.qcur
            """)
        #expect(backend == ["BACKEND", 1, 1, 1, 2, 1, 11, "UP", 0])
        let server = try harness.run(
            """
            local s = core.backends.be.servers.s2:get_stats()
            return s.pxname, s.svname, s.type, s.sid, s.iid, s.slim, s.weight, s.act, s.bck, s.addr, s.scur
            """)
        #expect(server == ["be", "s2", 2, 2, 2, 5, 1, 1, 0, "127.0.0.1:9001", 0])
        let listener = try harness.run(
            """
            local s = core.frontends.fe.listeners.admin:get_stats()
            return s.pxname, s.svname, s.type, s.sid, s.status, s.scur, s.addr
            """)
        #expect(listener == ["fe", "admin", 3, 2, "OPEN", 0, "unix@/tmp/admin.sock"])
        harness.control.current = 100
        #expect(try harness.string("return core.frontends.fe:get_stats().status") == "FULL")
    }
}
