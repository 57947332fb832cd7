import Foundation
import Testing

/// A server refusing connections: `option redispatch` moves the retry elsewhere; without it the
/// requests it gets fail with 503.
@Suite("Retries and redispatch", .timeLimit(.minutes(1)))
struct RedispatchTests {
    static func start(balance: String, lines: [String], live: TestHTTPServer) async throws -> (TidegateProcess, Int) {
        let closedPort = try FreePort.next()
        let port = try FreePort.next()
        let extra = lines.map { "    \($0)\n" }.joined()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                balance \(balance)
                timeout connect 1s
            \(extra)    server dead 127.0.0.1:\(closedPort)
                server live 127.0.0.1:\(live.port)
            """)
        return (try await TidegateProcess.start(config: config, ports: [port]), port)
    }

    static func paths(_ count: Int) -> [String] { (0..<count).map { "/key\($0)" } }

    @Test("option redispatch + retries 1: every request succeeds on the live server", arguments: ["roundrobin", "uri"])
    func redispatch(balance: String) async throws {
        let live = try await TestHTTPServer.start(name: "live")
        let (tidegate, port) = try await Self.start(
            balance: balance, lines: ["option redispatch", "retries 1"], live: live)
        defer { tidegate.stop() }

        var responses: [RawHTTPResponse] = []
        for path in Self.paths(10) { responses.append(try await HTTPClient.request(port: port, path)) }

        #expect(responses.map(\.status) == Array(repeating: 200, count: 10), "\(balance): \(responses.map(\.status))")
        #expect(distribution(responses) == ["live": 10])
    }

    @Test("no redispatch, retries 0, round robin: the dead server's turns get 503")
    func noRedispatchRoundRobin() async throws {
        let live = try await TestHTTPServer.start(name: "live")
        let (tidegate, port) = try await Self.start(balance: "roundrobin", lines: ["retries 0"], live: live)
        defer { tidegate.stop() }

        let responses = try await HTTPClient.sequential(port: port, count: 10)

        let statuses = responses.map(\.status)
        #expect(statuses.filter { $0 == 503 }.count == 5, "\(statuses)")
        #expect(statuses.filter { $0 == 200 }.count == 5, "\(statuses)")
        #expect(responses.filter { $0.status == 200 }.allSatisfy { $0.servedBy == "live" })
        #expect(live.requestCount == 5)
    }

    @Test("no redispatch, retries 0, balance uri: paths hashed to the dead server always get 503")
    func noRedispatchHashed() async throws {
        let live = try await TestHTTPServer.start(name: "live")
        let (tidegate, port) = try await Self.start(balance: "uri", lines: ["retries 0"], live: live)
        defer { tidegate.stop() }

        var first: [Int] = []
        var second: [Int] = []
        for path in Self.paths(12) { first.append(try await HTTPClient.request(port: port, path).status) }
        for path in Self.paths(12) { second.append(try await HTTPClient.request(port: port, path).status) }

        #expect(Set(first).isSubset(of: [200, 503]), "\(first)")
        #expect(first == second, "a path changed outcome: \(first) then \(second)")
        #expect(first.contains(503), "no path hashed to the dead server: \(first)")
        #expect(first.contains(200), "no path hashed to the live server: \(first)")
    }
}

/// `option http-server-close` and `option httpclose`.
@Suite("HTTP connection modes", .timeLimit(.minutes(1)))
struct ConnectionModeTests {
    static func start(option: String, server: TestHTTPServer) async throws -> (TidegateProcess, Int) {
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                option \(option)
                default_backend be

            backend be
                server s1 127.0.0.1:\(server.port)
            """)
        return (try await TidegateProcess.start(config: config, ports: [port]), port)
    }

    @Test("http-server-close: 6 keep-alive requests on one client connection use 6 server connections")
    func serverClose() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(option: "http-server-close", server: server)
        defer { tidegate.stop() }

        let (responses, stillOpen) = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            let responses = try (0..<5).map { index in
                try connection.send(RawRequest.get("/k\(index)"))
                return try connection.readResponse()
            }
            // The client side stays alive: a sixth request on the same connection is answered.
            try connection.send(RawRequest.get("/k5"))
            return (responses, try connection.readResponse().status == 200)
        }

        #expect(responses.map(\.status) == Array(repeating: 200, count: 5))
        #expect(responses.map { $0.header("x-echo-path") } == (0..<5).map { "/k\($0)" })
        #expect(stillOpen)
        #expect(server.requestCount == 6)
        #expect(server.connectionCount == 6, "backend saw \(server.connectionCount) connections for 6 requests")
        #expect(
            server.requests.allSatisfy { $0.header("connection")?.lowercased().contains("close") == true },
            "requests to the server must carry Connection: close: \(server.requests.map { $0.header("connection") ?? "-" })")
    }

    @Test("httpclose: the client connection is closed after the first response, which says Connection: close")
    func httpClose() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(option: "httpclose", server: server)
        defer { tidegate.stop() }

        let (response, closed) = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(3))
            defer { connection.close() }
            try connection.send(RawRequest.get("/first"))
            let response = try connection.readResponse()
            let closed: Bool
            do {
                closed = try connection.waitForClose()
            } catch let error as SocketError where error.isTimeout {
                closed = false
            }
            return (response, closed)
        }

        #expect(response.status == 200)
        #expect(response.header("connection")?.lowercased().contains("close") == true, "\(response)")
        #expect(closed, "the client connection stayed open")
    }
}

/// `option forwardfor` and its `header` and `if-none` arguments (in the backend).
@Suite("option forwardfor", .timeLimit(.minutes(1)))
struct ForwardForTests {
    static func seen(option: String, clientHeaders: [(String, String)]) async throws -> RecordedRequest {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                \(option)
                server s1 127.0.0.1:\(server.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }
        let response = try await HTTPClient.request(port: port, "/", headers: clientHeaders)
        #expect(response.status == 200)
        return try #require(server.requests.first)
    }

    /// All values of a field, joined as one list (HAProxy adds a new line; a comma join means the same).
    static func joined(_ request: RecordedRequest, _ name: String) -> String {
        request.headers(named: name).joined(separator: ", ")
    }

    @Test("option forwardfor adds X-Forwarded-For: 127.0.0.1")
    func addsHeader() async throws {
        let seen = try await Self.seen(option: "option forwardfor", clientHeaders: [])
        #expect(seen.headers(named: "x-forwarded-for") == ["127.0.0.1"], "\(seen.headers)")
    }

    @Test("without if-none, a client-sent X-Forwarded-For is kept and the client address appended")
    func appends() async throws {
        let seen = try await Self.seen(option: "option forwardfor", clientHeaders: [("X-Forwarded-For", "10.1.2.3")])
        #expect(Self.joined(seen, "x-forwarded-for") == "10.1.2.3, 127.0.0.1", "\(seen.headers)")
    }

    @Test("option forwardfor header X-Real-IP uses that name instead")
    func customHeader() async throws {
        let seen = try await Self.seen(option: "option forwardfor header X-Real-IP", clientHeaders: [])
        #expect(seen.headers(named: "x-real-ip") == ["127.0.0.1"], "\(seen.headers)")
        #expect(seen.headers(named: "x-forwarded-for").isEmpty, "\(seen.headers)")
    }

    @Test("if-none keeps a client-sent value and adds nothing")
    func ifNoneKeeps() async throws {
        let seen = try await Self.seen(
            option: "option forwardfor if-none", clientHeaders: [("X-Forwarded-For", "10.1.2.3")])
        #expect(seen.headers(named: "x-forwarded-for") == ["10.1.2.3"], "\(seen.headers)")
    }

    @Test("if-none still adds the header when the client sent none")
    func ifNoneAdds() async throws {
        let seen = try await Self.seen(option: "option forwardfor if-none", clientHeaders: [])
        #expect(seen.headers(named: "x-forwarded-for") == ["127.0.0.1"], "\(seen.headers)")
    }
}
