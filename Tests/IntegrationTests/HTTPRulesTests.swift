import Testing

/// `http-request` / `http-response` rules and ACL-based backend selection.
@Suite("HTTP rules and ACL routing", .timeLimit(.minutes(1)))
struct HTTPRulesTests {
    /// A frontend on a fresh port with `frontendLines`, default backend `be` = `servers`.
    static func start(_ frontendLines: [String], servers: [TestHTTPServer], extraSections: String = "")
        async throws -> (TidegateProcess, Int)
    {
        let port = try FreePort.next()
        let rules = frontendLines.map { "    \($0)\n" }.joined()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
            \(rules)    default_backend be

            backend be
            \(TestConfig.serverLines(servers))
            \(extraSections)
            """)
        return (try await TidegateProcess.start(config: config, ports: [port]), port)
    }

    @Test("set-header, add-header and del-header change what the server receives")
    func requestHeaderRules() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(
            [
                "http-request set-header X-Test foo",
                "http-request add-header X-Added bar",
                "http-request del-header X-Remove",
            ], servers: [server])
        defer { tidegate.stop() }

        let response = try await HTTPClient.request(
            port: port, "/", headers: [("X-Test", "original"), ("X-Remove", "secret"), ("X-Keep", "kept")])
        let seen = try #require(server.requests.first)

        #expect(response.status == 200)
        #expect(seen.headers(named: "x-test") == ["foo"])
        #expect(seen.headers(named: "x-added") == ["bar"])
        #expect(seen.headers(named: "x-remove").isEmpty)
        #expect(seen.headers(named: "x-keep") == ["kept"])
    }

    @Test("http-response set-header changes what the client receives")
    func responseHeaderRule() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(
            ["http-response set-header X-Served-By tidegate", "http-response set-header X-Resp baz"],
            servers: [server])
        defer { tidegate.stop() }

        let response = try await HTTPClient.request(port: port, "/")

        #expect(response.status == 200)
        #expect(response.headers(named: "x-resp") == ["baz"])
        #expect(response.headers(named: "x-served-by") == ["tidegate"], "set-header must replace the server's field")
    }

    @Test("acl path_beg + use_backend routes to another backend")
    func aclRouting() async throws {
        let web = try await TestHTTPServer.start(name: "web")
        let api = try await TestHTTPServer.start(name: "api")
        let (tidegate, port) = try await Self.start(
            ["acl is_api path_beg /api", "use_backend api if is_api"], servers: [web],
            extraSections: "\nbackend api\n    server api 127.0.0.1:\(api.port)")
        defer { tidegate.stop() }

        let apiResponse = try await HTTPClient.request(port: port, "/api/users")
        let webResponse = try await HTTPClient.request(port: port, "/home")
        let notAPI = try await HTTPClient.request(port: port, "/about/api")

        #expect(apiResponse.servedBy == "api")
        #expect(webResponse.servedBy == "web")
        #expect(notAPI.servedBy == "web")
    }

    @Test("http-request deny answers 403 without contacting a server")
    func deny() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(
            ["acl secret path_beg /admin", "http-request deny if secret"], servers: [server])
        defer { tidegate.stop() }

        let denied = try await HTTPClient.request(port: port, "/admin/panel")
        let allowed = try await HTTPClient.request(port: port, "/public")

        #expect(denied.status == 403, "\(denied)")
        #expect(denied.bodyText.contains("<h1>403 Forbidden</h1>"))
        #expect(allowed.status == 200)
        #expect(server.requests.map(\.uri) == ["/public"])
    }

    @Test("http-request return answers locally")
    func returnLocally() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(
            ["http-request return status 200 content-type text/plain string ok"], servers: [server])
        defer { tidegate.stop() }

        let response = try await HTTPClient.request(port: port, "/anything")

        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/plain")
        #expect(response.bodyText == "ok")
        #expect(server.requestCount == 0)
    }

    @Test("http-request redirect answers 302 with the location")
    func redirect() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(
            ["acl old path /old", "http-request redirect location /x code 302 if old"], servers: [server])
        defer { tidegate.stop() }

        let response = try await HTTPClient.request(port: port, "/old")
        let other = try await HTTPClient.request(port: port, "/new")

        #expect(response.status == 302, "\(response)")
        #expect(response.header("location") == "/x")
        #expect(other.status == 200)
        #expect(server.requests.map(\.uri) == ["/new"])
    }
}
