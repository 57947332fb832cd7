import Testing

/// Keep-alive on both sides and pipelining.
@Suite("Connection reuse", .timeLimit(.minutes(1)))
struct ConnectionReuseTests {
    @Test("20 requests on one client connection reuse the server connection")
    func serverConnectionReuse() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let responses = try await blocking {
            let connection = try RawHTTPConnection(port: port)
            defer { connection.close() }
            return try (0..<20).map { index in
                try connection.send(RawRequest.get("/r\(index)"))
                return try connection.readResponse()
            }
        }

        #expect(responses.map(\.status) == Array(repeating: 200, count: 20))
        #expect(responses.map { $0.header("x-echo-path") } == (0..<20).map { "/r\($0)" })
        #expect(server.requestCount == 20)
        // Ideally one connection; anything close to one request per connection means no reuse.
        #expect(server.connectionCount <= 2, "backend saw \(server.connectionCount) connections for 20 requests")
    }

    @Test("three pipelined requests are answered in order")
    func pipelining() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let responses = try await blocking {
            let connection = try RawHTTPConnection(port: port)
            defer { connection.close() }
            // The first one is slow, so answering out of order would show.
            try connection.send(RawRequest.get("/a?delay=300") + RawRequest.get("/b") + RawRequest.get("/c"))
            return try (0..<3).map { _ in try connection.readResponse() }
        }

        #expect(responses.map(\.status) == [200, 200, 200])
        #expect(responses.map { $0.header("x-echo-path") } == ["/a?delay=300", "/b", "/c"])
    }
}
