import Foundation
import Testing

/// More `http-request` / `http-response` actions, and `use_backend` with a dynamic name.
@Suite("HTTP actions", .timeLimit(.minutes(1)))
struct HTTPActionTests {
    /// A frontend with `frontendLines` in front of backend `be` (one server `s1`).
    static func start(_ frontendLines: [String], server: TestHTTPServer) async throws -> (TidegateProcess, Int) {
        let port = try FreePort.next()
        let rules = frontendLines.map { "    \($0)\n" }.joined()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
            \(rules)    default_backend be

            backend be
                server s1 127.0.0.1:\(server.port)
            """)
        return (try await TidegateProcess.start(config: config, ports: [port]), port)
    }

    /// One request (with `Connection: close`) for `path` with this Host and headers.
    static func get(
        port: Int, _ path: String, host: String = "test.local", headers: [(String, String)] = []
    ) async throws -> RawHTTPResponse {
        try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send(RawRequest.get(path, host: host, headers: headers, close: true))
            return try connection.readResponse()
        }
    }

    @Test("redirect prefix /new code 301: Location is the prefix + the original path and query")
    func redirectPrefix() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(
            ["http-request redirect prefix /new code 301 if { path_beg /old }"], server: server)
        defer { tidegate.stop() }

        let redirected = try await Self.get(port: port, "/old/page?q=1")
        let untouched = try await Self.get(port: port, "/other")

        #expect(redirected.status == 301, "\(redirected)")
        #expect(redirected.header("location") == "/new/old/page?q=1", "\(redirected)")
        #expect(untouched.status == 200)
        #expect(server.requests.map(\.uri) == ["/other"])
    }

    @Test("redirect scheme https: Location is https:// + Host + path + query, code 302")
    func redirectScheme() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(["http-request redirect scheme https"], server: server)
        defer { tidegate.stop() }

        let response = try await Self.get(port: port, "/cart/view?item=7&qty=2", host: "shop.example")

        #expect(response.status == 302, "\(response)")
        #expect(response.header("location") == "https://shop.example/cart/view?item=7&qty=2", "\(response)")
        #expect(server.requestCount == 0)
    }

    @Test("http-request deny deny_status 429 answers 429 without contacting the server")
    func denyStatus() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(
            ["http-request deny deny_status 429 if { path_beg /limited }"], server: server)
        defer { tidegate.stop() }

        let denied = try await Self.get(port: port, "/limited/x")
        let allowed = try await Self.get(port: port, "/free")

        #expect(denied.status == 429, "\(denied)")
        #expect(denied.bodyText.contains("<h1>429 Too Many Requests</h1>"), "\(denied)")
        #expect(allowed.status == 200)
        #expect(server.requests.map(\.uri) == ["/free"])
    }

    @Test("http-response set-status 418 changes the status the client sees")
    func setStatus() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(["http-response set-status 418"], server: server)
        defer { tidegate.stop() }

        let response = try await Self.get(port: port, "/tea")

        #expect(response.status == 418, "\(response)")
        #expect(response.reason == "I'm a teapot", "HAProxy's default reason for 418: \(response)")
        #expect(response.bodyText == "s1\n", "the server's body is kept")
    }

    @Test("http-request set-path /rewritten is what the server receives (query kept)")
    func setPath() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(["http-request set-path /rewritten"], server: server)
        defer { tidegate.stop() }

        let response = try await Self.get(port: port, "/original/path?keep=1")

        #expect(response.status == 200)
        #expect(server.requests.map(\.uri) == ["/rewritten?keep=1"])
    }

    @Test("set-var(txn.x) req.hdr(host) is readable in http-response set-header X-Host %[var(txn.x)]")
    func transactionVariable() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(
            ["http-request set-var(txn.x) req.hdr(host)", "http-response set-header X-Host %[var(txn.x)]"],
            server: server)
        defer { tidegate.stop() }

        let first = try await Self.get(port: port, "/", host: "vars.example")
        let second = try await Self.get(port: port, "/", host: "other.example")

        #expect(first.status == 200)
        #expect(first.headers(named: "x-host") == ["vars.example"], "\(first)")
        #expect(second.headers(named: "x-host") == ["other.example"], "\(second)")
    }

    @Test("use_backend %[req.hdr(x-backend)] picks the named backend; unknown names use default_backend")
    func dynamicBackend() async throws {
        let alpha = try await TestHTTPServer.start(name: "alpha")
        let beta = try await TestHTTPServer.start(name: "beta")
        let fallback = try await TestHTTPServer.start(name: "fallback")
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                use_backend %[req.hdr(x-backend)]
                default_backend be_default

            backend alpha
                server alpha 127.0.0.1:\(alpha.port)

            backend beta
                server beta 127.0.0.1:\(beta.port)

            backend be_default
                server fallback 127.0.0.1:\(fallback.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let toAlpha = try await Self.get(port: port, "/", headers: [("X-Backend", "alpha")])
        let toBeta = try await Self.get(port: port, "/", headers: [("X-Backend", "beta")])
        let unknown = try await Self.get(port: port, "/", headers: [("X-Backend", "nosuch")])
        let absent = try await Self.get(port: port, "/")

        #expect(toAlpha.servedBy == "alpha", "\(toAlpha)")
        #expect(toBeta.servedBy == "beta", "\(toBeta)")
        #expect(unknown.status == 200 && unknown.servedBy == "fallback", "\(unknown)")
        #expect(absent.status == 200 && absent.servedBy == "fallback", "\(absent)")
    }
}
