import Foundation
import Testing

/// Traffic logs: `option httplog`, `option tcplog`, `log-format`, and the stdout / UDP syslog targets.
///
/// Every config sets `option dontlognull`: the harness's readiness probe (a connection that sends
/// nothing) must not produce a line, in HAProxy as in Tidegate.
@Suite("Logging", .timeLimit(.minutes(1)))
struct LoggingTests {
    /// What one client saw of a request sent with `Connection: close` and read until the close.
    struct Exchange: Sendable {
        var clientPort: Int
        var status: Int
        /// Every byte received, head and body.
        var receivedBytes: Int
        var sentAt: Date
    }

    static func exchange(port: Int, path: String, host: String = "test.local") async throws -> Exchange {
        try await blocking {
            let socket = try TestSocket.connect(port: port, timeout: .seconds(5))
            defer { socket.close() }
            let clientPort = try #require(socket.localPort)
            let sentAt = Date()
            try socket.send(RawRequest.get(path, host: host, close: true))
            var received: [UInt8] = []
            while true {
                let chunk = try socket.receive()
                if chunk.isEmpty { break }
                received += chunk
            }
            let statusLine = String(decoding: received.prefix(while: { $0 != 13 }), as: UTF8.self)
            let parts = statusLine.split(separator: " ")
            let status = parts.count > 1 ? Int(parts[1]) ?? -1 : -1
            return Exchange(clientPort: clientPort, status: status, receivedBytes: received.count, sentAt: sentAt)
        }
    }

    /// Non-empty lines of the process's stdout.
    static func stdoutLines(_ tidegate: TidegateProcess) -> [String] {
        tidegate.stdoutText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Waits until stdout holds at least `count` lines, then a little longer to catch extra ones.
    static func waitForLines(_ tidegate: TidegateProcess, count: Int) async -> [String] {
        _ = await eventually(timeout: .seconds(3)) { stdoutLines(tidegate).count >= count }
        try? await Task.sleep(for: .milliseconds(200))
        return stdoutLines(tidegate)
    }

    /// The capture groups of `pattern` matched against the whole of `line` (nil if it does not match).
    static func captures(_ pattern: String, in line: String) -> [String]? {
        guard let regex = try? NSRegularExpression(pattern: "^" + pattern + "$"),
            let match = regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line))
        else { return nil }
        return (1..<match.numberOfRanges).map { index in
            Range(match.range(at: index), in: line).map { String(line[$0]) } ?? ""
        }
    }

    /// Parses HAProxy's `%tr` / `%t` date (`06/Feb/2009:12:14:14.655`, local time).
    static func logDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "dd/MMM/yyyy:HH:mm:ss.SSS"
        return formatter.date(from: text)
    }

    static let date = #"(\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}\.\d{3})"#

    @Test("option httplog: one line per request in HAProxy's layout, with the real values")
    func httpLog() async throws {
        let server = try await TestHTTPServer.start(name: "app1")
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe_main
                bind 127.0.0.1:\(port)
                log stdout format raw local0
                option dontlognull
                option httplog
                default_backend be_app

            backend be_app
                server app1 127.0.0.1:\(server.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let paths = ["/log/first?delay=150", "/log/second?status=404", "/log/third"]
        var exchanges: [Exchange] = []
        for path in paths { exchanges.append(try await Self.exchange(port: port, path: path)) }
        let lines = await Self.waitForLines(tidegate, count: paths.count)

        #expect(exchanges.map(\.status) == [200, 404, 200])
        try #require(lines.count == paths.count, "expected one line per request, got:\n\(lines.joined(separator: "\n"))")
        let pattern =
            #"(\d+\.\d+\.\d+\.\d+):(\d+) \[\#(Self.date)\] (\S+) (\S+)/(\S+) (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+) (\d{3}) (\d+) (\S+) (\S+) (\S{4}) (\d+)/(\d+)/(\d+)/(\d+)/(\d+) (\d+)/(\d+) (".*")"#
        for (index, line) in lines.enumerated() {
            let exchange = exchanges[index]
            guard let fields = Self.captures(pattern, in: line) else {
                Issue.record("not in httplog layout: \(line)")
                continue
            }
            let numbers = fields.map { Int($0) }
            #expect(fields[0] == "127.0.0.1", "\(line)")
            #expect(numbers[1] == exchange.clientPort, "%cp is not the client's port: \(line)")
            if let logged = Self.logDate(fields[2]) {
                #expect(abs(logged.timeIntervalSince(exchange.sentAt)) < 5, "date \(fields[2]) is not now: \(line)")
            } else {
                Issue.record("unparsable date \(fields[2]): \(line)")
            }
            #expect(fields[3] == "fe_main", "\(line)")
            #expect(fields[4] == "be_app", "\(line)")
            #expect(fields[5] == "app1", "\(line)")
            let (tR, tW, tC, tServer, tA) = (numbers[6]!, numbers[7]!, numbers[8]!, numbers[9]!, numbers[10]!)
            #expect(tR >= 0 && tR < 1000, "TR: \(line)")
            #expect(tW == 0, "Tw (no queue): \(line)")
            #expect(tC >= 0 && tC < 1000, "Tc: \(line)")
            #expect(tServer >= 0 && tA >= tServer, "Tr/Ta: \(line)")
            if index == 0 {
                #expect(tServer >= 140 && tServer < 2000, "Tr must include the server's 150 ms delay: \(line)")
                #expect(tA >= 140, "Ta must include the server's 150 ms delay: \(line)")
            }
            #expect(numbers[11] == exchange.status, "status: \(line)")
            #expect(numbers[12] == exchange.receivedBytes, "%B is not the bytes sent to the client: \(line)")
            #expect(fields[13] == "-" && fields[14] == "-", "no cookie captured: \(line)")
            #expect(fields[15] == "----", "normal termination: \(line)")
            #expect(numbers[16]! >= 1 && numbers[17]! >= 1, "actconn/feconn count this connection: \(line)")
            #expect(numbers[20] == 0, "no retry: \(line)")
            #expect(numbers[21] == 0 && numbers[22] == 0, "no queue: \(line)")
            #expect(fields[23] == "\"GET \(paths[index]) HTTP/1.1\"", "\(line)")
        }
    }

    @Test("option tcplog: one line per TCP stream in HAProxy's layout")
    func tcpLog() async throws {
        let echo = try await TCPEchoServer.start()
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend ft
                mode tcp
                bind 127.0.0.1:\(port)
                log stdout format raw local0
                option dontlognull
                option tcplog
                default_backend bt

            backend bt
                mode tcp
                server echo 127.0.0.1:\(echo.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let message = "hello tidegate\n"
        let (clientPort, echoed) = try await blocking {
            let socket = try TestSocket.connect(port: port, timeout: .seconds(5))
            defer { socket.close() }
            let clientPort = try #require(socket.localPort)
            try socket.send(message)
            var received: [UInt8] = []
            while received.count < message.utf8.count {
                let chunk = try socket.receive()
                if chunk.isEmpty { break }
                received += chunk
            }
            Thread.sleep(forTimeInterval: 0.2)
            socket.shutdownWrite()
            while try !socket.receive().isEmpty {}
            return (clientPort, String(decoding: received, as: UTF8.self))
        }
        let lines = await Self.waitForLines(tidegate, count: 1)

        #expect(echoed == message)
        try #require(lines.count == 1, "expected one line for one stream, got:\n\(lines.joined(separator: "\n"))")
        let line = lines[0]
        let pattern =
            #"127\.0\.0\.1:(\d+) \[\#(Self.date)\] ft bt/echo (-?\d+)/(-?\d+)/(\d+) (\d+) (\S\S) (\d+)/(\d+)/(\d+)/(\d+)/(\d+) (\d+)/(\d+)"#
        let fields = try #require(Self.captures(pattern, in: line), "not in tcplog layout: \(line)")
        let numbers = fields.map { Int($0) }
        #expect(numbers[0] == clientPort, "%cp: \(line)")
        #expect(Self.logDate(fields[1]) != nil, "date: \(line)")
        #expect(numbers[2] == 0, "Tw: \(line)")
        #expect(numbers[3]! >= 0, "Tc: \(line)")
        #expect(numbers[4]! >= 190 && numbers[4]! < 5000, "Tt must cover the 200 ms the client held on: \(line)")
        #expect(numbers[5] == message.utf8.count, "%B (bytes to the client): \(line)")
        #expect(fields[6] == "--", "normal termination: \(line)")
        #expect(numbers[11] == 0, "retries: \(line)")
        #expect(numbers[12] == 0 && numbers[13] == 0, "queues: \(line)")
    }

    @Test("a custom log-format with %ci, %ST, a sample fetch and a quoted request line")
    func customLogFormat() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                log stdout format raw local0
                option dontlognull
                log-format "%ci %ST %[req.hdr(host)] %{+Q}r"
                default_backend be

            backend be
                server s1 127.0.0.1:\(server.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        _ = try await Self.exchange(port: port, path: "/custom?q=1", host: "custom.example")
        _ = try await Self.exchange(port: port, path: "/broken?status=503", host: "other.example")
        let lines = await Self.waitForLines(tidegate, count: 2)

        #expect(
            lines == [
                #"127.0.0.1 200 custom.example "GET /custom?q=1 HTTP/1.1""#,
                #"127.0.0.1 503 other.example "GET /broken?status=503 HTTP/1.1""#,
            ])
    }

    @Test("UDP syslog target: RFC 3164 framing with <134> (local0.info) by default")
    func udpSyslogRFC3164() async throws {
        let receiver = try UDPReceiver()
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                log 127.0.0.1:\(receiver.port) local0
                option dontlognull
                option httplog
                default_backend be

            backend be
                server s1 127.0.0.1:\(server.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        _ = try await Self.exchange(port: port, path: "/udp")
        let datagram = try await blocking { try receiver.receive(timeout: .seconds(3)) }

        let text = try #require(datagram.map { String(decoding: $0, as: UTF8.self) }, "no datagram received")
        let line = text.trimmingCharacters(in: .newlines)
        #expect(line.hasPrefix("<134>"), "\(line)")
        // <PRI>Mmm dd hh:mm:ss tag[pid]: message (no hostname, as HAProxy without log-send-hostname).
        let fields = Self.captures(
            #"<134>([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) ([^ \[]+)\[(\d+)\]: (.*)"#, in: line)
        #expect(fields != nil, "not RFC 3164 framing: \(line.debugDescription)")
        if let fields {
            #expect(Int(fields[6]) == Int(tidegate.pid), "pid: \(line)")
            #expect(fields[7].hasPrefix("127.0.0.1:"), "message: \(line)")
            #expect(fields[7].contains(" fe be/s1 "), "message: \(line)")
            #expect(fields[7].hasSuffix(#""GET /udp HTTP/1.1""#), "message: \(line)")
        }
    }

    @Test("UDP syslog target with format rfc5424: <134>1 header")
    func udpSyslogRFC5424() async throws {
        let receiver = try UDPReceiver()
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend fe
                bind 127.0.0.1:\(port)
                log 127.0.0.1:\(receiver.port) format rfc5424 local0
                option dontlognull
                log-format "%ci %ST %{+Q}r"
                default_backend be

            backend be
                server s1 127.0.0.1:\(server.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        _ = try await Self.exchange(port: port, path: "/udp5424")
        let datagram = try await blocking { try receiver.receive(timeout: .seconds(3)) }

        let text = try #require(datagram.map { String(decoding: $0, as: UTF8.self) }, "no datagram received")
        let line = text.trimmingCharacters(in: .newlines)
        #expect(line.hasPrefix("<134>1 "), "\(line)")
        // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
        let fields = Self.captures(
            #"<134>1 (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) (\S+) (\S+) (\d+) (\S+) (\S+) (.*)"#,
            in: line)
        #expect(fields != nil, "not RFC 5424 framing: \(line.debugDescription)")
        if let fields {
            #expect(Int(fields[3]) == Int(tidegate.pid), "procid: \(line)")
            #expect(fields[6] == #"127.0.0.1 200 "GET /udp5424 HTTP/1.1""#, "message: \(line)")
        }
    }
}
