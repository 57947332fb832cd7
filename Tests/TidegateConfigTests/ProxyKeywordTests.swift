import Testing

@testable import TidegateConfig

@Suite struct ProxyKeywordTests {
    func proxies(_ text: String) throws -> [ProxyConfiguration] {
        let result = ConfigLoader.parse(text: text, file: "p.cfg")
        #expect(result.alerts == [])
        return try #require(result.configuration).proxies
    }

    @Test func balanceAlgorithms() throws {
        let lines = [
            "balance static-rr", "balance first", "balance source", "balance uri len 10 depth 2",
            "balance url_param session check_post", "balance hdr(Host) use_domain_only", "balance random",
            "balance random(3)",
        ]
        let text = lines.enumerated().map { "backend b\($0.offset)\n    \($0.element)\n" }.joined()
        #expect(
            try proxies(text).map(\.balance) == [
                .staticRoundRobin, .first, .source, .uri(.init(length: 10, depth: 2)),
                .urlParameter(name: "session", checkPost: true), .header(name: "Host", useDomainOnly: true),
                .random(draws: 2), .random(draws: 3),
            ]
        )
    }

    @Test func hashTypes() throws {
        let text = """
            backend a
                hash-type consistent
            backend b
                hash-type map-based crc32 avalanche
            """
        #expect(
            try proxies(text).map(\.hashType) == [
                // `consistent` alone implies avalanche, as in HAProxy.
                HashType(method: .consistent, avalanche: true),
                HashType(method: .mapBased, function: .crc32, avalanche: true),
            ]
        )
    }

    @Test func serverParameters() throws {
        let text = """
            backend b
                default-server check inter 5s fastinter 1s downinter 10s rise 4 fall 5 slowstart 30s
                server a 10.0.0.1:80 weight 0 maxconn 50 minconn 5 disabled port 8081 addr 10.0.9.9 observe layer7 error-limit 3 on-error mark-down
                server b 10.0.0.2 no-check agent-check agent-port 9999 agent-inter 3s backup
                default-server enabled
                server c 10.0.0.3:+100
            """
        let servers = try proxies(text)[0].servers
        let a = servers[0]
        #expect(a.weight == 0)
        #expect(a.maxConnections == 50)
        #expect(a.minConnections == 5)
        #expect(a.isDisabled)
        #expect(a.healthCheck)
        #expect(a.checkInterval == 5_000)
        #expect(a.fastInterval == 1_000)
        #expect(a.downInterval == 10_000)
        #expect(a.rise == 4)
        #expect(a.fall == 5)
        #expect(a.slowStart == 30_000)
        #expect(a.checkPort == 8081)
        #expect(a.checkAddress == "10.0.9.9")
        #expect(a.observe == .layer7)
        #expect(a.errorLimit == 3)
        #expect(a.onError == .markDown)
        let b = servers[1]
        #expect(b.address == .inet(host: .ipv4("10.0.0.2"), port: nil))
        #expect(!b.healthCheck)
        #expect(b.agentCheck)
        #expect(b.agentPort == 9999)
        #expect(b.agentInterval == 3_000)
        #expect(b.isBackup)
        #expect(b.rise == 4)
        let c = servers[2]
        #expect(c.address == .inet(host: .ipv4("10.0.0.3"), port: .offset(100)))
        #expect(c.healthCheck)
        #expect(!c.isDisabled)
    }

    @Test func optionsAndConnectionModes() throws {
        let text = """
            defaults
                mode http
                option httpclose
                option allbackups
                option abortonclose
                option http-buffer-request
                option log-separate-errors
                option tcp-check
            backend a
                no option httpclose
                no option allbackups
            backend b
                option http-keep-alive
                option httpchk /ping
            backend c
                option httpchk HEAD /status HTTP/1.1
            """
        let list = try proxies(text)
        #expect(list.map(\.httpConnectionMode) == [.keepAlive, .keepAlive, .close])
        #expect(list.map(\.allBackups) == [false, true, true])
        #expect(list.allSatisfy { $0.abortOnClose && $0.httpBufferRequest && $0.logSeparateErrors && $0.tcpCheck })
        #expect(list[1].httpCheck == HTTPCheckOption(method: "OPTIONS", uri: "/ping"))
        #expect(list[2].httpCheck == HTTPCheckOption(method: "HEAD", uri: "/status", version: "HTTP/1.1"))
    }

    @Test func logFormatAndLogOptionsReplaceEachOther() throws {
        let text = """
            defaults
                option httplog clf
            frontend a
                bind :1
                log-format "%ci:%cp %ft %ST"
            frontend b
                bind :2
                log-format %ci %ST
            frontend c
                bind :3
                option tcplog
            frontend d
                bind :4
            """
        let result = ConfigLoader.parse(text: text, file: "l.cfg")
        #expect(result.alerts == [])
        #expect(
            result.warnings.map(\.description) == [
                "parsing [l.cfg:8] : 'log-format' : 2 words were joined with single spaces; quote the format or escape its spaces."
            ]
        )
        let list = try #require(result.configuration).proxies
        #expect(list.map(\.logFormat) == ["%ci:%cp %ft %ST", "%ci %ST", nil, nil])
        #expect(list.map(\.httpLog) == [nil, nil, nil, .clf])
        #expect(list.map(\.tcpLog) == [false, false, true, false])
    }

    @Test func logTargetsResolveGlobal() throws {
        let text = """
            global
                log /dev/log len 4096 format rfc5424 daemon warning
            defaults
                log global
                log 10.0.0.9:1514 local3
            frontend a
                bind :1
            frontend b
                bind :2
                no log
                log stderr format short user
            """
        let result = ConfigLoader.parse(text: text, file: "l.cfg")
        #expect(result.diagnostics == [])
        let configuration = try #require(result.configuration)
        let global = configuration.global.logTargets
        #expect(
            global == [
                LogTarget(
                    destination: .unixSocket(path: "/dev/log"),
                    maximumLength: 4096,
                    format: .rfc5424,
                    facility: .daemon,
                    maximumLevel: .warning,
                    location: ConfigLocation(file: "l.cfg", line: 2)
                )
            ]
        )
        let a = configuration.proxies[0].logTargets
        #expect(a.count == 2)
        #expect(a[0] == global[0])
        #expect(a[1].destination == .udp(.inet(host: .ipv4("10.0.0.9"), port: .single(1514))))
        #expect(a[1].facility == .local3)
        #expect(configuration.proxies[1].logTargets.map(\.destination) == [.standardError])
        #expect(configuration.proxies[1].logTargets[0].format == .short)
    }

    @Test func miscellaneousProxyKeywords() throws {
        let text = """
            frontend f
                bind /run/f.sock mode 660 user www group www
                bind ipv6@:443 v6only maxconn 10
                id 42
                description Public site, main entry
                disabled
            backend b
                fullconn 500
                retries 0
                tcp-check connect
                tcp-check send PING\\r\\n
                enabled
                server s 10.0.0.1:80
            """
        let list = try proxies(text)
        let f = list[0]
        #expect(f.binds[0].addresses == [.unix(path: "/run/f.sock")])
        #expect(f.binds[0].socketMode == 0o660)
        #expect(f.binds[0].user == "www")
        #expect(f.binds[0].group == "www")
        #expect(f.binds[1].addresses == [.inet(host: .ipv6("::"), port: .single(443))])
        #expect(f.binds[1].acceptsIPv4OnIPv6 == false)
        #expect(f.binds[1].maxConnections == 10)
        #expect(f.id == 42)
        #expect(f.description == "Public site, main entry")
        #expect(f.isDisabled)
        let b = list[1]
        #expect(b.fullConnections == 500)
        #expect(b.retries == 0)
        #expect(b.tcpCheckRules.map(\.words) == [["tcp-check", "connect"], ["tcp-check", "send", "PING\r\n"]])
        #expect(!b.isDisabled)
    }
}
