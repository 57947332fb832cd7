import Testing

/// Interim responses, bodiless responses and protocol upgrades relayed correctly.
@Suite("HTTP protocol features", .timeLimit(.minutes(1)))
struct ProtocolFeatureTests {
    @Test("Expect: 100-continue: the client gets 100, sends its body, gets 200")
    func expectContinue() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let (interim, final) = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send(
                "POST /upload HTTP/1.1\r\nHost: test.local\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = try connection.readResponse(method: "POST")
            try connection.send("hello")
            return (interim, try connection.readResponse(method: "POST"))
        }

        #expect(interim.status == 100, "\(interim)")
        #expect(final.status == 200, "\(final)")
        #expect(final.header("x-body-bytes") == "5")
        #expect(server.requests.first?.bodyBytes == 5)
    }

    @Test("a HEAD response carries no body and the connection stays usable")
    func headHasNoBody() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let (head, next) = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send(RawRequest.get("/h", method: "HEAD"))
            let head = try connection.readResponse(method: "HEAD")
            try connection.send(RawRequest.get("/after"))
            return (head, try connection.readResponse())
        }

        #expect(head.status == 200)
        #expect(head.header("content-length") == "3", "the HEAD response keeps the length of the GET body")
        #expect(head.bodyLength == 0)
        // If a body had followed the HEAD response, it would be parsed as this response's head.
        #expect(next.status == 200, "\(next)")
        #expect(next.header("x-echo-path") == "/after")
        #expect(next.bodyText == "s1\n")
    }

    @Test("a server closing without answering gives 502, and the next request is served")
    func serverClosesEarly() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let broken = try await HTTPClient.request(port: port, "/broken?close=1")
        let next = try await HTTPClient.request(port: port, "/fine")

        #expect(broken.status == 502, "\(broken)")
        #expect(broken.bodyText.contains("<h1>502 Bad Gateway</h1>"))
        #expect(next.status == 200)
        #expect(server.requests.map(\.uri) == ["/broken?close=1", "/fine"], "a request was retried or lost")
    }

    @Test("Upgrade: the server's 101 opens a tunnel that relays bytes both ways")
    func upgradeTunnel() async throws {
        let echo = try await TCPEchoServer.start(mode: .upgrade)
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                server ws 127.0.0.1:\(echo.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let (switching, replies) = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send(
                RawRequest.get("/ws", headers: [("Connection", "Upgrade"), ("Upgrade", "echo")]))
            let switching = try connection.readResponse()
            let replies = try ["ping", "pong!", String(repeating: "z", count: 100_000)].map { message in
                try connection.send(message)
                return String(decoding: try connection.readExactly(message.utf8.count), as: UTF8.self)
            }
            return (switching, replies)
        }

        #expect(switching.status == 101, "\(switching)")
        #expect(switching.header("upgrade") == "echo")
        #expect(replies.count == 3)
        #expect(replies.first == "ping")
        #expect(replies.dropFirst().first == "pong!")
        #expect(replies.last?.count == 100_000)
        #expect(echo.bytesEchoed == 4 + 5 + 100_000)
    }
}
