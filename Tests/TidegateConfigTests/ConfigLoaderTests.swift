import Foundation
import Testing

@testable import TidegateConfig

@Suite struct ConfigLoaderTests {
    static func realisticConfig(errorFile: String) -> String {
        """
        # Tidegate edge proxy
        global
            log 127.0.0.1:514 local0 info
            log stdout format raw local1 notice debug
            maxconn 4096
            nbthread 4
            daemon
            pidfile /run/tidegate.pid
            user haproxy
            group haproxy
            chroot /var/empty
            tune.bufsize 32768
            hard-stop-after 30s
            description "Edge proxy"

        defaults
            mode http
            log global
            option httplog
            option dontlognull
            option forwardfor except 127.0.0.0/8
            option http-server-close
            option redispatch
            retries 3
            timeout connect 5s
            timeout client 30s
            timeout server 1m
            timeout http-request 10s
            timeout http-keep-alive 2s
            errorfile 503 \(errorFile)

        frontend www
            bind :80
            bind 127.0.0.1:8080,[::1]:8080 name local backlog 512
            maxconn 2000
            acl is_api path_beg /api
            acl is_static path_end .css .js
            http-request set-header X-Forwarded-Proto http
            http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }
            http-request set-var(txn.host) req.hdr(host),lower
            http-response del-header Server
            use_backend api if is_api
            use_backend static unless !is_static
            use_backend %[var(txn.host)]
            default_backend app

        backend app
            balance roundrobin
            option httpchk GET /health
            http-check expect status 200
            default-server inter 3s fall 2 rise 3
            server app1 10.0.0.1:8080 check weight 10
            server app2 10.0.0.2:8080 check backup
            server app3 app3.internal:8080 check id 7

        backend api
            balance leastconn
            server api1 10.0.1.1:9000 check maxconn 100

        backend static
            balance uri whole
            hash-type consistent djb2
            server s1 [2001:db8::1]:80

        listen stats
            bind 127.0.0.1:9000
            no log
            server local unix@/run/stats.sock
        """
    }

    @Test func realisticConfigurationParsesIntoTheModel() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let errorFile = try directory.write("503.http", "HTTP/1.1 503 Service Unavailable\r\n\r\nbusy\n")
        let result = ConfigLoader.parse(text: Self.realisticConfig(errorFile: errorFile), file: "edge.cfg")
        #expect(result.diagnostics == [])
        let configuration = try #require(result.configuration)

        // Global.
        let global = configuration.global
        #expect(global.maxConnections == 4096)
        #expect(global.threadCount == 4)
        #expect(global.daemon)
        #expect(global.pidFile == "/run/tidegate.pid")
        #expect(global.user == "haproxy")
        #expect(global.group == "haproxy")
        #expect(global.chroot == "/var/empty")
        #expect(global.bufferSize == 32768)
        #expect(global.maxHeaderCount == 101)
        #expect(global.maxRewrite == 1024)
        #expect(global.hardStopAfter == 30_000)
        #expect(global.description == "Edge proxy")
        #expect(global.logTargets.count == 2)
        #expect(global.logTargets[0].destination == .udp(.inet(host: .ipv4("127.0.0.1"), port: .single(514))))
        #expect(global.logTargets[0].facility == .local0)
        #expect(global.logTargets[0].maximumLevel == .info)
        #expect(global.logTargets[0].location == ConfigLocation(file: "edge.cfg", line: 3))
        #expect(global.logTargets[1].destination == .standardOutput)
        #expect(global.logTargets[1].format == .raw)
        #expect(global.logTargets[1].facility == .local1)
        #expect(global.logTargets[1].maximumLevel == .notice)
        #expect(global.logTargets[1].minimumLevel == .debug)

        #expect(configuration.proxies.map(\.name) == ["www", "app", "api", "static", "stats"])
        #expect(configuration.frontends.map(\.name) == ["www", "stats"])
        #expect(configuration.backends.map(\.name) == ["app", "api", "static", "stats"])

        // Frontend.
        let www = try #require(configuration.frontend(named: "www"))
        #expect(www.location == ConfigLocation(file: "edge.cfg", line: 32))
        #expect(www.capabilities == .frontend)
        #expect(www.defaultsName == "")
        #expect(www.mode == .http)
        #expect(www.maxConnections == 2000)
        #expect(www.timeouts.client == 30_000)
        #expect(www.timeouts.httpRequest == 10_000)
        #expect(www.timeouts.httpKeepAlive == 2_000)
        #expect(www.httpLog == .standard)
        #expect(www.dontLogNull)
        #expect(www.forwardFor == ForwardForOption(exceptNetwork: "127.0.0.0/8"))
        #expect(www.httpConnectionMode == .serverClose)
        #expect(www.logTargets == global.logTargets)
        #expect(www.errorFiles == [503: "HTTP/1.1 503 Service Unavailable\r\n\r\nbusy\n"])
        #expect(www.binds.count == 2)
        #expect(www.binds[0].addresses == [.inet(host: .ipv4("0.0.0.0"), port: .single(80))])
        #expect(www.binds[0].location.line == 33)
        #expect(
            www.binds[1].addresses == [
                .inet(host: .ipv4("127.0.0.1"), port: .single(8080)), .inet(host: .ipv6("::1"), port: .single(8080)),
            ]
        )
        #expect(www.binds[1].name == "local")
        #expect(www.binds[1].backlog == 512)
        #expect(
            www.acls == [
                ACLDefinition(
                    name: "is_api",
                    words: ["path_beg", "/api"],
                    location: ConfigLocation(file: "edge.cfg", line: 36)
                ),
                ACLDefinition(
                    name: "is_static",
                    words: ["path_end", ".css", ".js"],
                    location: ConfigLocation(file: "edge.cfg", line: 37)
                ),
            ]
        )
        #expect(
            www.httpRequestRules.map(\.action) == [
                .setHeader(name: "X-Forwarded-Proto", format: "http"),
                .deny(HTTPReturnConfiguration(status: 429)),
                .setVariable(
                    VariableName(scope: .transaction, name: "host"),
                    expression: ["req.hdr(host),lower"],
                    conditions: []
                ),
            ]
        )
        #expect(
            www.httpRequestRules[1].condition
                == RuleCondition(
                    polarity: .if,
                    words: ["{", "sc_http_req_rate(0)", "gt", "100", "}"],
                    location: ConfigLocation(file: "edge.cfg", line: 39)
                )
        )
        #expect(www.httpRequestRules[0].condition == nil)
        #expect(www.httpResponseRules.map(\.action) == [.deleteHeader(name: "Server", match: .exact)])
        #expect(www.backendRules.map(\.backend) == ["api", "static", "%[var(txn.host)]"])
        #expect(www.backendRules.map(\.isDynamic) == [false, false, true])
        #expect(www.backendRules[1].condition?.polarity == .unless)
        #expect(www.backendRules[1].condition?.words == ["!is_static"])
        #expect(www.backendRules[2].condition == nil)
        #expect(www.defaultBackend == "app")

        // Backend with default-server and health checks.
        let app = try #require(configuration.backend(named: "app"))
        #expect(app.capabilities == .backend)
        #expect(app.balance == .roundRobin)
        #expect(app.retries == 3)
        #expect(app.redispatch)
        #expect(app.timeouts.connect == 5_000)
        #expect(app.timeouts.server == 60_000)
        #expect(app.httpCheck == HTTPCheckOption(method: "GET", uri: "/health", version: "HTTP/1.0"))
        #expect(app.httpCheckRules.map(\.words) == [["http-check", "expect", "status", "200"]])
        #expect(app.defaultServer.checkInterval == 3_000)
        #expect(app.servers.map(\.name) == ["app1", "app2", "app3"])
        let app1 = app.servers[0]
        #expect(app1.address == .inet(host: .ipv4("10.0.0.1"), port: .single(8080)))
        #expect(app1.weight == 10)
        #expect(app1.healthCheck)
        #expect(app1.checkInterval == 3_000)
        #expect(app1.fall == 2)
        #expect(app1.rise == 3)
        #expect(!app1.isBackup)
        #expect(app1.location == ConfigLocation(file: "edge.cfg", line: 52))
        #expect(app.servers[1].isBackup)
        #expect(app.servers[1].weight == 1)
        #expect(app.servers[2].address == .inet(host: .hostname("app3.internal"), port: .single(8080)))
        #expect(app.servers[2].id == 7)

        let api = try #require(configuration.backend(named: "api"))
        #expect(api.balance == .leastConnections)
        #expect(api.servers[0].maxConnections == 100)
        #expect(api.servers[0].checkInterval == 2_000)

        let staticBackend = try #require(configuration.backend(named: "static"))
        #expect(staticBackend.balance == .uri(.init(whole: true)))
        #expect(staticBackend.hashType == HashType(method: .consistent, function: .djb2))
        #expect(staticBackend.servers[0].address == .inet(host: .ipv6("2001:db8::1"), port: .single(80)))

        // Listen: both capabilities, `no log` drops the inherited `log global`.
        let stats = try #require(configuration.frontend(named: "stats"))
        #expect(stats.capabilities == .listen)
        #expect(configuration.backend(named: "stats") != nil)
        #expect(stats.logTargets == [])
        #expect(stats.servers[0].address == .unix(path: "/run/stats.sock"))
    }

    @Test func unnamedDefaultsApplyToFollowingProxiesAndAreResetByTheNextOne() throws {
        let text = """
            defaults
                mode http
                timeout connect 4s
                retries 7
                http-request set-header X-From defaults
                default_backend b1
            frontend f1
                bind :8001
                http-request set-header X-From frontend
            backend b1
                server s1 10.0.0.1:80
            defaults
                timeout client 9s
            frontend f2
                bind :8002
                default_backend b2
            backend b2
                server s1 10.0.0.2:80
            """
        let result = ConfigLoader.parse(text: text, file: "d.cfg")
        #expect(result.diagnostics == [])
        let configuration = try #require(result.configuration)
        let f1 = try #require(configuration.frontend(named: "f1"))
        #expect(f1.mode == .http)
        #expect(f1.timeouts.connect == 4_000)
        #expect(f1.defaultBackend == "b1")
        #expect(
            f1.httpRequestRules.map(\.action) == [
                .setHeader(name: "X-From", format: "defaults"), .setHeader(name: "X-From", format: "frontend"),
            ]
        )
        #expect(f1.httpRequestRules.map(\.location.line) == [5, 9])
        let b1 = try #require(configuration.backend(named: "b1"))
        #expect(b1.retries == 7)
        #expect(b1.mode == .http)

        // The second defaults section starts from scratch.
        let f2 = try #require(configuration.frontend(named: "f2"))
        #expect(f2.mode == .tcp)
        #expect(f2.timeouts.connect == nil)
        #expect(f2.timeouts.client == 9_000)
        #expect(f2.httpRequestRules.isEmpty)
        let b2 = try #require(configuration.backend(named: "b2"))
        #expect(b2.retries == 3)
    }

    @Test func namedDefaultsAndFrom() throws {
        let text = """
            defaults web
                mode http
                balance leastconn
                option forwardfor header X-Real-IP if-none
                timeout server 20s
            defaults tcp from web
                mode tcp
            defaults
                timeout server 1s
            backend b-web from web
                server s 10.0.0.1:80
            backend b-tcp from tcp
                server s 10.0.0.1:80
            backend b-last
                server s 10.0.0.1:80
            """
        let result = ConfigLoader.parse(text: text, file: "n.cfg")
        #expect(result.diagnostics == [])
        let configuration = try #require(result.configuration)
        let web = try #require(configuration.backend(named: "b-web"))
        #expect(web.defaultsName == "web")
        #expect(web.mode == .http)
        #expect(web.balance == .leastConnections)
        #expect(web.forwardFor == ForwardForOption(header: "X-Real-IP", ifNone: true))
        #expect(web.timeouts.server == 20_000)
        let tcp = try #require(configuration.backend(named: "b-tcp"))
        #expect(tcp.defaultsName == "tcp")
        #expect(tcp.mode == .tcp)
        #expect(tcp.balance == .leastConnections)
        #expect(tcp.timeouts.server == 20_000)
        let last = try #require(configuration.backend(named: "b-last"))
        #expect(last.defaultsName == "")
        #expect(last.mode == .tcp)
        #expect(last.balance == .roundRobin)
        #expect(last.timeouts.server == 1_000)
    }

    @Test func directoryLoadsCfgFilesInLexicalOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("b.cfg", "backend second\n    server s 10.0.0.2:80\n")
        try directory.write("a.cfg", "backend first\n    server s 10.0.0.1:80\n")
        try directory.write("10-defaults.cfg", "defaults\n    mode http\n    retries 9\n")
        try directory.write("notes.txt", "this is not configuration\n")
        try directory.write(".hidden.cfg", "garbage\n")
        try directory.write("sub.cfg/inner.cfg", "garbage\n")
        let main = try directory.write("main/main.cfg", "global\n    maxconn 10\n")

        let result = ConfigLoader.load(paths: [main, directory.path], environment: [:])
        #expect(result.diagnostics == [])
        let configuration = try #require(result.configuration)
        #expect(
            configuration.files == [
                main,
                directory.path + "/10-defaults.cfg",
                directory.path + "/a.cfg",
                directory.path + "/b.cfg",
            ]
        )
        #expect(configuration.global.maxConnections == 10)
        #expect(configuration.proxies.map(\.name) == ["first", "second"])
        // The defaults section of the first file applies to proxies of later files.
        #expect(configuration.proxies.map(\.retries) == [9, 9])
        #expect(configuration.proxies.map(\.mode) == [.http, .http])
    }

    @Test func eachFileStartsOutOfSection() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try directory.write("1.cfg", "global\n    maxconn 10\n")
        let second = try directory.write("2.cfg", "    daemon\n")
        let result = ConfigLoader.load(paths: [first, second], environment: [:])
        #expect(result.configuration == nil)
        #expect(
            result.diagnostics.map(\.description) == [
                "parsing [\(second):1] : unknown keyword 'daemon' out of section."
            ]
        )
    }

    @Test func missingFileIsAnAlertWithoutLocation() {
        let result = ConfigLoader.load(paths: ["/nonexistent/tidegate.cfg"], environment: [:])
        #expect(result.configuration == nil)
        #expect(
            result.diagnostics == [
                .alert(
                    "Could not open configuration file /nonexistent/tidegate.cfg : No such file or directory",
                    at: nil
                )
            ]
        )
        #expect(
            result.diagnostics[0].description
                == "Could not open configuration file /nonexistent/tidegate.cfg : No such file or directory"
        )
        #expect(result.diagnostics[0].formatted.hasPrefix("[ALERT] Could not open"))
    }

    @Test func environmentReachesAddresses() throws {
        let text = """
            frontend f
                bind "${ADDR}:${PORT-8443}"
                bind "fd@${FD}"
            """
        let result = ConfigLoader.parse(text: text, environment: ["ADDR": "10.1.1.1", "FD": "5"])
        let configuration = try #require(result.configuration)
        let binds = configuration.proxies[0].binds
        #expect(
            binds.map(\.addresses) == [
                [.inet(host: .ipv4("10.1.1.1"), port: .single(8443))], [.fileDescriptor(5)],
            ]
        )
    }

    @Test func warningsDoNotRejectTheConfiguration() throws {
        let text = """
            frontend f
                mode http
            backend b
                timeout client 5s
                option httplog
                server s 10.0.0.1:80
            """
        let result = ConfigLoader.parse(text: text, file: "w.cfg")
        #expect(result.configuration != nil)
        #expect(result.alerts.isEmpty)
        #expect(
            result.warnings.map(\.description) == [
                "parsing [w.cfg:4] : 'timeout client' ignored because backend 'b' has no frontend capability.",
                "parsing [w.cfg:5] : 'option httplog' ignored because backend 'b' has no frontend capability.",
                "parsing [w.cfg:1] : frontend 'f' has no 'bind' directive. Please declare it as a backend if this was intended.",
            ]
        )
        #expect(result.configuration?.backend(named: "b")?.timeouts.client == nil)
    }

    @Test func relativeFilesFollowDefaultPath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("errors/500.http", "HTTP/1.1 500 Oops\r\n\r\n")
        let main = try directory.write(
            "site.cfg",
            """
            global
                default-path config
            defaults
                errorfile 500 errors/500.http
            backend b
                server s 10.0.0.1:80
            """
        )
        let result = ConfigLoader.load(paths: [main], environment: [:])
        #expect(result.diagnostics == [])
        #expect(result.configuration?.proxies.first?.errorFiles == [500: "HTTP/1.1 500 Oops\r\n\r\n"])
    }

    @Test func duplicateProxyIDsAndHTTPRulesInTCPMode() {
        let text = """
            frontend a
                bind :1
                id 5
                http-request set-header X 1
            backend b
                id 5
                server s 10.0.0.1:80
            """
        let result = ConfigLoader.parse(text: text, file: "i.cfg")
        #expect(result.configuration == nil)
        #expect(
            result.diagnostics.map(\.formatted) == [
                "[WARNING] parsing [i.cfg:1] : frontend 'a' : 'http-request', 'http-response' and 'http-after-response' "
                    + "rules are ignored in 'mode tcp'.",
                "[ALERT] parsing [i.cfg:6] : backend 'b' : id 5 is already used by frontend 'a' (declared at i.cfg:3).",
            ]
        )
    }

    @Test func registeredKeywordsOutsideTheirSections() {
        var extensions = ConfigExtensionRegistry()
        extensions.registerKeyword("lua-load", in: [.global])
        let text = """
            global
                lua-load /x.lua
            frontend f
                bind :1
                lua-load /y.lua
            """
        let result = ConfigLoader.parse(text: text, file: "k.cfg", extensions: extensions)
        #expect(
            result.diagnostics.map(\.description) == [
                "parsing [k.cfg:5] : 'lua-load' not allowed in 'frontend' section."
            ]
        )
    }
}
