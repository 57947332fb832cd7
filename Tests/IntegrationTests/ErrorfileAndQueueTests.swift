import Foundation
import Testing

/// `errorfile` replacing the built-in 503 page.
@Suite("errorfile", .timeLimit(.minutes(1)))
struct ErrorfileTests {
    static let page =
        "HTTP/1.1 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\n"
        + "Content-Type: text/plain\r\nX-Errorfile: custom-503\r\nContent-Length: 21\r\n\r\nCustom maintenance.\r\n"

    /// HAProxy uses the backend's page, else the frontend's (`http_error_message`); defaults feed both.
    @Test(
        "errorfile 503 is what the client receives when no server is available",
        arguments: ["backend", "frontend", "defaults"])
    func customServiceUnavailable(placement: String) async throws {
        let files = try ScratchDirectory()
        defer { files.remove() }
        let path = try files.write("503.http", Self.page)
        let line = "errorfile 503 \(path)"
        let backend = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.make(
            defaults: placement == "defaults" ? [line] : [],
            """
            frontend fe
                bind 127.0.0.1:\(port)
            \(placement == "frontend" ? "    \(line)\n" : "")    default_backend be

            backend be
            \(placement == "backend" ? "    \(line)\n" : "")    server s1 127.0.0.1:\(backend.port) disabled
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let response = try await HTTPClient.request(port: port, "/")

        #expect(response.status == 503, "\(placement): \(response)")
        #expect(response.header("x-errorfile") == "custom-503", "\(placement): \(response)")
        #expect(response.header("content-type") == "text/plain", "\(placement): \(response)")
        #expect(response.bodyText == "Custom maintenance.\r\n", "\(placement): \(response)")
        #expect(!response.bodyText.contains("<h1>"), "\(placement): the built-in page was sent")
        #expect(backend.requestCount == 0)
    }
}

/// Server `maxconn` with the backend queue and `timeout queue`.
@Suite("Server queue", .timeLimit(.minutes(1)))
struct QueueTests {
    static func start(server: TestHTTPServer, queueTimeout: String) async throws -> (TidegateProcess, Int) {
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                timeout queue \(queueTimeout)
                server s1 127.0.0.1:\(server.port) maxconn 1
            """)
        return (try await TidegateProcess.start(config: config, ports: [port]), port)
    }

    @Test("maxconn 1 + timeout queue 500ms: the queued request gets 503 after about 0.5 s")
    func queueTimeoutGives503() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(server: server, queueTimeout: "500ms")
        defer { tidegate.stop() }

        let slow = Task { try await HTTPClient.request(port: port, "/slow?delay=2000") }
        let holding = await eventually(timeout: .seconds(5)) { server.inFlight == 1 }
        try #require(holding, "the slow request never reached the server")

        let clock = ContinuousClock()
        let started = clock.now
        let queued = try await HTTPClient.request(port: port, "/queued")
        let elapsed = clock.now - started
        let slowResponse = try await slow.value

        #expect(queued.status == 503, "\(queued)")
        #expect(queued.bodyText.contains("<h1>503 Service Unavailable</h1>"), "\(queued)")
        #expect(elapsed >= .milliseconds(400) && elapsed < .milliseconds(1500), "503 after \(elapsed)")
        #expect(slowResponse.status == 200)
        #expect(server.requests.map(\.uri) == ["/slow?delay=2000"], "the queued request reached the server")
    }

    @Test("maxconn 1 + timeout queue 5s: the queued request is served once the first finishes")
    func queuedRequestIsDequeued() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let (tidegate, port) = try await Self.start(server: server, queueTimeout: "5s")
        defer { tidegate.stop() }

        let slow = Task { try await HTTPClient.request(port: port, "/slow?delay=2000") }
        let holding = await eventually(timeout: .seconds(5)) { server.inFlight == 1 }
        try #require(holding, "the slow request never reached the server")

        let clock = ContinuousClock()
        let started = clock.now
        let queued = Task { try await HTTPClient.request(port: port, "/queued") }
        let queuedResponse = try await queued.value
        let elapsed = clock.now - started
        let slowResponse = try await slow.value

        // While the slow request ran, the second one did not reach the server (never two at once).
        #expect(server.peakInFlight == 1, "the second request reached the server while maxconn 1 was in use")
        #expect(queuedResponse.status == 200, "\(queuedResponse)")
        #expect(queuedResponse.header("x-echo-path") == "/queued")
        #expect(elapsed >= .milliseconds(1000) && elapsed < .milliseconds(4500), "served after \(elapsed)")
        #expect(slowResponse.status == 200)
        #expect(server.requests.map(\.uri) == ["/slow?delay=2000", "/queued"])
    }
}
