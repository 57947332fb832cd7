import Testing

/// `timeout server` and `timeout http-request` as seen by the client.
@Suite("Timeouts", .timeLimit(.minutes(1)))
struct TimeoutTests {
    @Test("timeout server 500ms with a server taking 2 s gives 504")
    func serverTimeout() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.simpleProxy(port: port, servers: [server], backendLines: ["timeout server 500ms"])
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let clock = ContinuousClock()
        let started = clock.now
        let response = try await HTTPClient.request(port: port, "/slow?delay=2000")
        let elapsed = clock.now - started

        #expect(response.status == 504, "\(response)")
        #expect(response.bodyText.contains("<h1>504 Gateway Time-out</h1>"))
        #expect(elapsed >= .milliseconds(400) && elapsed < .milliseconds(1800), "answered after \(elapsed)")
    }

    @Test("timeout http-request 500ms with half a head gives 408 and closes")
    func requestTimeout() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                timeout http-request 500ms
                default_backend be

            backend be
                server s1 127.0.0.1:\(server.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let clock = ContinuousClock()
        let started = clock.now
        let (response, closed) = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send("GET /partial HTTP/1.1\r\nHost: test.local\r\nX-Half: ")
            let response = try connection.readResponse()
            return (response, try connection.waitForClose())
        }
        let elapsed = clock.now - started

        #expect(response.status == 408, "\(response)")
        #expect(response.bodyText.contains("<h1>408 Request Time-out</h1>"))
        #expect(closed)
        #expect(elapsed >= .milliseconds(400) && elapsed < .milliseconds(2500), "answered after \(elapsed)")
        #expect(server.requestCount == 0)
    }
}
