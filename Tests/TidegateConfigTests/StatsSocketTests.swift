import Testing

@testable import TidegateConfig

/// `stats socket` and `stats timeout` in the global section.
@Suite struct StatsSocketTests {
    func parse(_ global: String) -> ConfigLoadResult {
        ConfigLoader.parse(text: "global\n" + global + "\n", file: "s.cfg", extensions: ConfigExtensionRegistry())
    }

    func alerts(_ global: String) -> [String] {
        parse(global).diagnostics.map(\.description)
    }

    @Test func socketsWithModeLevelAndOwner() throws {
        let result = parse(
            """
                stats socket /run/tidegate/admin.sock mode 660 level admin user haproxy group haproxy uid 0 gid 0
                stats socket ipv4@127.0.0.1:9999 level user
                stats socket 127.0.0.1:9998
                stats timeout 2m
            """)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let global = try #require(result.configuration?.global)
        #expect(global.statsTimeout == 120_000)
        #expect(global.statsSockets.count == 3)
        let admin = global.statsSockets[0]
        #expect(admin.address == .unix(path: "/run/tidegate/admin.sock"))
        #expect(admin.mode == 0o660 && admin.level == .admin && admin.user == "haproxy" && admin.gid == 0)
        #expect(admin.location == ConfigLocation(file: "s.cfg", line: 2))
        #expect(global.statsSockets[1].address == .inet(host: .ipv4("127.0.0.1"), port: .single(9999)))
        #expect(global.statsSockets[1].level == .user)
        #expect(global.statsSockets[2].level == .operator, "HAProxy's default level")
    }

    @Test func defaultsWithoutStatsLines() throws {
        let global = try #require(parse("    maxconn 10").configuration?.global)
        #expect(global.statsSockets.isEmpty)
        #expect(global.statsTimeout == 10_000)
    }

    @Test func errorsNameTheLine() {
        #expect(
            alerts("    stats socket /s level root") == [
                "parsing [s.cfg:2] : 'stats socket level' only supports 'user', 'operator', and 'admin' (got 'root')."
            ])
        #expect(alerts("    stats socket /s frob 1") == ["parsing [s.cfg:2] : 'stats socket' : unknown keyword 'frob'."])
        #expect(alerts("    stats socket /s levl admin").first?.contains("did you mean 'level' maybe ?") == true)
        #expect(
            alerts("    stats socket /s expose-fd listeners").first?.hasPrefix(
                "parsing [s.cfg:2] : 'stats socket' : 'expose-fd' : handing listening sockets over") == true)
        #expect(alerts("    stats socket /s mode 999") == [
            "parsing [s.cfg:2] : 'stats socket mode' : expects an octal permission mode, got '999'."
        ])
        #expect(alerts("    stats socket /s mode").first?.contains("'mode' expects an argument") == true)
        #expect(alerts("    stats socket") == [
            "parsing [s.cfg:2] : 'stats socket' in global section expects an address or a path to a UNIX socket."
        ])
        #expect(
            alerts("    stats socket fd@3") == ["parsing [s.cfg:2] : 'stats socket' : 'fd@' addresses are not supported."])
        #expect(alerts("    stats socket 127.0.0.1").first?.contains("missing port") == true)
        #expect(alerts("    stats socket 127.0.0.1:9000-9001") == [
            "parsing [s.cfg:2] : 'stats socket' : a single port is expected in '127.0.0.1:9000-9001'."
        ])
        #expect(alerts("    stats timeout 0") == ["parsing [s.cfg:2] : 'stats timeout' expects a positive value."])
        #expect(alerts("    stats timeout 5x").first?.hasPrefix("parsing [s.cfg:2] : 'stats timeout' : ") == true)
        #expect(alerts("    stats maxconn 10") == [
            "parsing [s.cfg:2] : 'stats' only supports 'socket' and 'timeout' in the 'global' section (got 'maxconn')."
        ])
        #expect(parse("    stats socket /s level admin foo").configuration == nil, "an alert rejects the configuration")
    }

    @Test func modeOnATCPSocketIsAWarning() {
        let result = parse("    stats socket 127.0.0.1:9000 mode 600")
        #expect(result.configuration?.global.statsSockets.count == 1)
        #expect(result.diagnostics.map(\.description) == [
            "parsing [s.cfg:2] : 'stats socket mode' only applies to UNIX sockets; ignored for '127.0.0.1:9000'."
        ])
    }
}
