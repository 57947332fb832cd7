import Testing

/// `mode tcp`: bytes relayed unchanged both ways, half-close propagated.
@Suite("TCP mode", .timeLimit(.minutes(1)))
struct TCPModeTests {
    static func start(echo: TCPEchoServer) async throws -> (TidegateProcess, Int) {
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                mode tcp
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                mode tcp
                server echo 127.0.0.1:\(echo.port)
            """)
        return (try await TidegateProcess.start(config: config, ports: [port]), port)
    }

    @Test("bytes are echoed through the proxy")
    func echo() async throws {
        let echo = try await TCPEchoServer.start()
        let (tidegate, port) = try await Self.start(echo: echo)
        defer { tidegate.stop() }

        let replies = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { connection.close() }
            return try ["hello\n", "tidegate\n", "bye\n"].map { line in
                try connection.send(line)
                return String(decoding: try connection.readExactly(line.utf8.count), as: UTF8.self)
            }
        }

        #expect(replies == ["hello\n", "tidegate\n", "bye\n"])
    }

    @Test("after the client shuts down writing, it still receives the whole echo")
    func halfClose() async throws {
        let echo = try await TCPEchoServer.start()
        let (tidegate, port) = try await Self.start(echo: echo)
        defer { tidegate.stop() }
        let size = 1024 * 1024
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }

        let socket = try await blocking { try TestSocket.connect(port: port, timeout: .seconds(10)) }
        defer { socket.close() }
        async let written: Void = blocking {
            try socket.send(payload)
            socket.shutdownWrite()
        }
        let received = try await blocking {
            var bytes: [UInt8] = []
            while true {
                let chunk = try socket.receive()
                if chunk.isEmpty { return bytes }
                bytes += chunk
            }
        }
        try await written

        #expect(received.count == size)
        #expect(received == payload)
    }
}
