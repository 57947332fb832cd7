import Testing

/// Requests a proxy must refuse with 400 and a closed connection, without harming the next client.
@Suite("Malformed requests", .timeLimit(.minutes(1)))
struct MalformedRequestTests {
    /// A bad request and why it is bad.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "bad character in method", bytes: "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
        Case(name: "space before colon", bytes: "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
        Case(name: "non-numeric Content-Length", bytes: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12abc\r\n\r\n"),
        Case(
            name: "more fields than tune.http.maxhdr",
            bytes: "GET / HTTP/1.1\r\nHost: a\r\n" + (1...40).map { "X-H\($0): v\r\n" }.joined() + "\r\n"),
        Case(
            name: "head larger than tune.bufsize",
            bytes: "GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "b", count: 20_000))\r\n\r\n"),
    ]

    @Test("400, connection closed, next client served", arguments: cases)
    func rejected(_ malformed: Case) async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.simpleProxy(
            port: port, servers: [server], global: ["nbthread 1", "tune.bufsize 16384", "tune.http.maxhdr 20"])
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let (response, closed) = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send(malformed.bytes)
            let response = try connection.readResponse()
            return (response, try connection.waitForClose())
        }
        let next = try await HTTPClient.request(port: port, "/next")

        #expect(response.status == 400, "\(response)")
        #expect(closed, "the connection stayed open after the 400")
        #expect(next.status == 200)
        #expect(server.requests.map(\.uri) == ["/next"], "the malformed request reached the server")
    }
}
