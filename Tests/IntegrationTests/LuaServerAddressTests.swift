import Foundation
import Testing

/// `Server:set_addr(addr[, port])` over the running proxy: new connections of every event loop go to the new
/// address, idle keep-alive connections to the old one are not reused, `get_addr()` follows.
@Suite("Lua Server:set_addr", .timeLimit(.minutes(2)))
struct LuaServerAddressTests {
    static let script = """
        core.register_action("admin", {"http-req"}, function(txn)
          local s1 = core.backends.be.servers.s1
          local result
          if txn.sf:path() == "/move" then
            result = s1:set_addr(txn.sf:req_hdr("x-addr"), txn.sf:req_hdr("x-port"))
          else
            result = s1:get_addr()
          end
          txn:set_var("txn.result", result)
        end)
        """

    @Test("set_addr moves the traffic of server s1 from server A to server B on both loops; get_addr follows")
    func setAddrMovesTraffic() async throws {
        let a = try await TestHTTPServer.start(name: "A")
        let b = try await TestHTTPServer.start(name: "B")
        let scratch = try ScratchDirectory()
        let scriptPath = try scratch.write("addr.lua", Self.script)
        let ports = try FreePort.next(2)
        let config = TestConfig.make(
            global: ["nbthread 2", "lua-load-per-thread \(scriptPath)"],
            """
            frontend fe
                bind 127.0.0.1:\(ports[0])
                default_backend be

            frontend admin
                bind 127.0.0.1:\(ports[1])
                http-request lua.admin
                http-request return status 200 content-type text/plain hdr x-result "%[var(txn.result)]" lf-string "ok"

            backend be
                server s1 127.0.0.1:\(a.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: ports, scratch: scratch)
        defer { tidegate.stop() }

        let before = try await HTTPClient.sequential(port: ports[0], count: 6)
        #expect(before.allSatisfy { $0.servedBy == "A" }, "\(before.map { $0.servedBy ?? "\($0.status)" })")
        #expect(try await HTTPClient.request(port: ports[1], "/addr").header("x-result") == "127.0.0.1:\(a.port)")

        let moved = try await HTTPClient.request(
            port: ports[1], "/move", headers: [("x-addr", "127.0.0.1"), ("x-port", "\(b.port)")])
        #expect(
            moved.header("x-result")
                == "no need to change the addr, port changed from '\(a.port)' to '\(b.port)' by 'Lua script'",
            "\(moved)")
        #expect(try await HTTPClient.request(port: ports[1], "/addr").header("x-result") == "127.0.0.1:\(b.port)")

        let servedByA = a.requestCount
        let after = try await HTTPClient.sequential(port: ports[0], count: 8)
        #expect(after.allSatisfy { $0.servedBy == "B" }, "\(after.map { $0.servedBy ?? "\($0.status)" })")
        #expect(a.requestCount == servedByA, "no request reached A any more (not even on an idle connection)")
        #expect(b.requestCount == 8)

        let refused = try await HTTPClient.request(
            port: ports[1], "/move", headers: [("x-addr", "localhost"), ("x-port", "\(a.port)")])
        #expect(refused.header("x-result") == "Invalid addr 'localhost' by 'Lua script'", "\(refused)")
        #expect(try await HTTPClient.request(port: ports[0], "/").servedBy == "B")
    }
}
