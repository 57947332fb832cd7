import Testing

/// Which server a request reaches: round robin, weights, leastconn, backups, and 503 when none.
@Suite("Load balancing", .timeLimit(.minutes(1)))
struct BalancingTests {
    @Test("30 fresh connections spread 10/10/10", arguments: ["roundrobin", "static-rr"])
    func evenSpread(algorithm: String) async throws {
        let servers = try await TestHTTPServer.start(count: 3)
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: servers, balance: algorithm), ports: [port])
        defer { tidegate.stop() }

        let responses = try await HTTPClient.sequential(port: port, count: 30)

        #expect(responses.map(\.status) == Array(repeating: 200, count: 30))
        #expect(distribution(responses) == ["s1": 10, "s2": 10, "s3": 10])
        #expect(servers.map(\.requestCount) == [10, 10, 10])
    }

    @Test("weights 1 and 3 give 25% / 75%", arguments: ["roundrobin", "static-rr"])
    func weighted(algorithm: String) async throws {
        let servers = try await TestHTTPServer.start(count: 2)
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                balance \(algorithm)
                server s1 127.0.0.1:\(servers[0].port) weight 1
                server s2 127.0.0.1:\(servers[1].port) weight 3
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let responses = try await HTTPClient.sequential(port: port, count: 40)

        #expect(responses.allSatisfy { $0.status == 200 })
        #expect(distribution(responses) == ["s1": 10, "s2": 30])
    }

    @Test("leastconn sends new requests away from the server holding a slow one")
    func leastConnections() async throws {
        let servers = try await TestHTTPServer.start(count: 2)
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: servers, balance: "leastconn"), ports: [port])
        defer { tidegate.stop() }

        let slow = Task { try await HTTPClient.request(port: port, "/slow?delay=3000") }
        let holding = await eventually(timeout: .seconds(5)) { servers.contains { $0.inFlight == 1 } }
        try #require(holding, "the slow request never reached a server")
        let busy = servers.first { $0.inFlight == 1 }!
        let idle = servers.first { $0 !== busy }!

        let fast = try await HTTPClient.sequential(port: port, count: 6)
        let busyStillHeld = busy.inFlight == 1
        let slowResponse = try await slow.value

        #expect(busyStillHeld, "the slow request finished before the fast ones: the check proves nothing")
        #expect(fast.map(\.status) == Array(repeating: 200, count: 6))
        #expect(fast.allSatisfy { $0.servedBy == idle.name }, "\(distribution(fast)) (busy: \(busy.name))")
        #expect(slowResponse.status == 200)
        #expect(slowResponse.servedBy == busy.name)
    }

    @Test(
        "with every active server disabled, the first backup serves; with option allbackups, every backup",
        arguments: [(false, ["s2": 10]), (true, ["s2": 5, "s3": 5])])
    func backupsWhenActivesDisabled(allBackups: Bool, expected: [String: Int]) async throws {
        let servers = try await TestHTTPServer.start(count: 3)
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                balance roundrobin
            \(allBackups ? "    option allbackups\n" : "")    server s1 127.0.0.1:\(servers[0].port) disabled
                server s2 127.0.0.1:\(servers[1].port) backup
                server s3 127.0.0.1:\(servers[2].port) backup
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let responses = try await HTTPClient.sequential(port: port, count: 10)

        #expect(responses.allSatisfy { $0.status == 200 })
        #expect(distribution(responses) == expected)
        #expect(servers[0].requestCount == 0)
    }

    @Test("a backup is never used while an active server is usable")
    func backupIdleWithActive() async throws {
        let servers = try await TestHTTPServer.start(count: 2)
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                server s1 127.0.0.1:\(servers[0].port)
                server s2 127.0.0.1:\(servers[1].port) backup
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let responses = try await HTTPClient.sequential(port: port, count: 10)

        #expect(distribution(responses) == ["s1": 10])
        #expect(servers[1].requestCount == 0)
    }
}

/// HAProxy's 503 when no server can take a request.
@Suite("No server available", .timeLimit(.minutes(1)))
struct NoServerTests {
    @Test(
        "503 with HAProxy's page",
        arguments: [
            ("all servers disabled", "server s1 127.0.0.1:{PORT} disabled\n    server s2 127.0.0.1:{PORT} disabled"),
            ("no server at all", ""),
        ])
    func serviceUnavailable(_ scenario: String, _ serverLines: String) async throws {
        let backend = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                \(serverLines.replacingOccurrences(of: "{PORT}", with: String(backend.port)))
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let response = try await HTTPClient.request(port: port, "/")

        #expect(response.status == 503, "\(scenario): \(response)")
        #expect(response.bodyText.contains("<h1>503 Service Unavailable</h1>"), "\(scenario): \(response.bodyText)")
        #expect(backend.requestCount == 0)
    }

    @Test("a server refusing connections gives 503 after its retries")
    func connectionRefused() async throws {
        let closedPort = try FreePort.next()
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                retries 1
                timeout connect 1s
                server dead 127.0.0.1:\(closedPort)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let clock = ContinuousClock()
        let started = clock.now
        let response = try await HTTPClient.request(port: port, "/")

        #expect(response.status == 503, "\(response)")
        #expect(response.bodyText.contains("<h1>503 Service Unavailable</h1>"))
        #expect(clock.now - started < .seconds(5))
    }
}
