import Foundation
import Testing

/// `mode tcp`: `timeout client-fin`, `tcp-request connection` rules and content inspection.
@Suite("TCP timeouts and rules", .timeLimit(.minutes(1)))
struct TCPRulesTests {
    /// A TCP frontend with `frontendLines`, in front of one server at `serverPort`.
    static func start(_ frontendLines: [String], serverPort: Int) async throws -> (TidegateProcess, Int) {
        let port = try FreePort.next()
        let lines = frontendLines.map { "    \($0)\n" }.joined()
        let config = TestConfig.make(
            """
            frontend ft
                mode tcp
                bind 127.0.0.1:\(port)
            \(lines)    default_backend bt

            backend bt
                mode tcp
                server s1 127.0.0.1:\(serverPort)
            """)
        return (try await TidegateProcess.start(config: config, ports: [port]), port)
    }

    /// Sends a few bytes, half-closes, and measures how long until the proxy closes the connection
    /// (nil if it is still open after `wait`).
    static func timeToCloseAfterHalfClose(port: Int, wait: Duration) async throws -> Duration? {
        try await blocking {
            let socket = try TestSocket.connect(port: port, timeout: wait)
            defer { socket.close() }
            try socket.send("ping\n")
            // Let the proxy connect to the server and forward the bytes before the FIN.
            Thread.sleep(forTimeInterval: 0.2)
            let clock = ContinuousClock()
            let started = clock.now
            socket.shutdownWrite()
            do {
                while try !socket.receive().isEmpty {}
            } catch let error as SocketError where error.isTimeout {
                return nil
            } catch let error as SocketError where error.isReset {
            }
            return clock.now - started
        }
    }

    @Test("timeout client-fin 300ms: a half-closed client with a silent server is closed within ~1 s")
    func clientFin() async throws {
        let silent = try SilentListener()
        let (tidegate, port) = try await Self.start(["timeout client-fin 300ms"], serverPort: silent.port)
        defer { tidegate.stop() }

        let elapsed = try await Self.timeToCloseAfterHalfClose(port: port, wait: .seconds(3))

        let closedAfter = try #require(elapsed, "still open 3 s after the client's FIN (timeout client-fin 300ms)")
        #expect(closedAfter >= .milliseconds(250), "closed \(closedAfter) after the FIN, before client-fin expired")
        #expect(closedAfter < .seconds(1), "closed only \(closedAfter) after the FIN")
    }

    @Test("timeout server 500ms in the backend closes an idle TCP stream although timeout client is 10 s")
    func serverTimeoutAppliesOnceConnected() async throws {
        let silent = try SilentListener()
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend ft
                mode tcp
                bind 127.0.0.1:\(port)
                default_backend bt

            backend bt
                mode tcp
                timeout server 500ms
                server s1 127.0.0.1:\(silent.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let elapsed = try await blocking { () -> Duration? in
            let socket = try TestSocket.connect(port: port, timeout: .seconds(3))
            defer { socket.close() }
            let clock = ContinuousClock()
            let started = clock.now
            do {
                while try !socket.receive().isEmpty {}
            } catch let error as SocketError where error.isTimeout {
                return nil
            } catch let error as SocketError where error.isReset {
            }
            return clock.now - started
        }
        let closedAfter = try #require(elapsed, "idle stream still open after 3 s with timeout server 500ms")
        #expect(closedAfter < .milliseconds(1500), "closed only after \(closedAfter)")
    }

    @Test("control: without client-fin, the same half-closed stream stays open (timeouts are 10 s)")
    func withoutClientFin() async throws {
        let silent = try SilentListener()
        let (tidegate, port) = try await Self.start([], serverPort: silent.port)
        defer { tidegate.stop() }

        let elapsed = try await Self.timeToCloseAfterHalfClose(port: port, wait: .milliseconds(1500))

        #expect(elapsed == nil, "closed \(elapsed.map { "\($0)" } ?? "") after the FIN with no short timeout set")
    }

    @Test("tcp-request connection reject if { src 127.0.0.1 } closes at once; a non-matching rule lets it through",
        arguments: [("127.0.0.1", true), ("10.0.0.0/8", false)])
    func connectionReject(source: String, rejected: Bool) async throws {
        let echo = try await TCPEchoServer.start()
        let (tidegate, port) = try await Self.start(
            ["tcp-request connection reject if { src \(source) }"], serverPort: echo.port)
        defer { tidegate.stop() }
        let connectionsBefore = echo.connectionCount

        let clock = ContinuousClock()
        let started = clock.now
        let (reply, closed) = try await blocking {
            let socket = try TestSocket.connect(port: port, timeout: .seconds(8))
            defer { socket.close() }
            var reply: [UInt8] = []
            var closed = false
            do {
                try socket.send("hello\n")
                while reply.count < 6 {
                    let chunk = try socket.receive()
                    if chunk.isEmpty {
                        closed = true
                        break
                    }
                    reply += chunk
                }
            } catch let error as SocketError where error.isReset {
                closed = true
            }
            return (String(decoding: reply, as: UTF8.self), closed)
        }
        let elapsed = clock.now - started

        if rejected {
            #expect(closed, "the connection was not closed")
            #expect(reply.isEmpty, "bytes came back: \(reply.debugDescription)")
            // At once, not after a timeout (they are 10 s here); the margin absorbs a loaded machine.
            #expect(elapsed < .seconds(5), "closed after \(elapsed)")
            #expect(echo.connectionCount == connectionsBefore, "the server was contacted")
        } else {
            #expect(!closed)
            #expect(reply == "hello\n")
        }
    }

    @Test("tcp-request inspect-delay: 'accept if { req.len ge 6 }' waits for the 6th byte; short requests are rejected when the delay ends")
    func contentInspection() async throws {
        let echo = try await TCPEchoServer.start()
        let (tidegate, port) = try await Self.start(
            [
                "tcp-request inspect-delay 500ms", "tcp-request content accept if { req.len ge 6 }",
                "tcp-request content reject",
            ], serverPort: echo.port)
        defer { tidegate.stop() }
        let clock = ContinuousClock()
        let (reply, short, shortClosedAfter) = try await blocking { () -> (String, String, Duration) in
            let socket = try TestSocket.connect(port: port, timeout: .seconds(3))
            defer { socket.close() }
            try socket.send("abc")
            Thread.sleep(forTimeInterval: 0.15)
            try socket.send("def\n")
            var reply: [UInt8] = []
            while reply.count < 7 {
                let chunk = try socket.receive()
                if chunk.isEmpty { break }
                reply += chunk
            }
            let started = clock.now
            let other = try TestSocket.connect(port: port, timeout: .seconds(3))
            defer { other.close() }
            try other.send("abc")
            var received: [UInt8] = []
            do {
                while true {
                    let chunk = try other.receive()
                    if chunk.isEmpty { break }
                    received += chunk
                }
            } catch let error as SocketError where error.isReset {
            }
            return (String(decoding: reply, as: UTF8.self), String(decoding: received, as: UTF8.self), clock.now - started)
        }
        #expect(reply == "abcdef\n", "relayed once 6 bytes were there")
        #expect(short.isEmpty)
        #expect(shortClosedAfter >= .milliseconds(400) && shortClosedAfter < .seconds(2), "\(shortClosedAfter)")
        #expect(echo.connectionCount == 1, "the rejected stream never reached the server")
    }

    @Test("tcp-request content accept if WAIT_END holds the stream for the whole inspect-delay")
    func waitEnd() async throws {
        let echo = try await TCPEchoServer.start()
        let (tidegate, port) = try await Self.start(
            ["tcp-request inspect-delay 300ms", "tcp-request content accept if WAIT_END"], serverPort: echo.port)
        defer { tidegate.stop() }
        let clock = ContinuousClock()
        let (reply, elapsed) = try await blocking { () -> (String, Duration) in
            let socket = try TestSocket.connect(port: port, timeout: .seconds(3))
            defer { socket.close() }
            let started = clock.now
            try socket.send("hi\n")
            var reply: [UInt8] = []
            while reply.count < 3 {
                let chunk = try socket.receive()
                if chunk.isEmpty { break }
                reply += chunk
            }
            return (String(decoding: reply, as: UTF8.self), clock.now - started)
        }
        #expect(reply == "hi\n")
        #expect(elapsed >= .milliseconds(280), "relayed after \(elapsed), before the inspect-delay ended")
    }
}
