import Foundation
import Testing

/// A Lua service streaming a large answer to a client that reads slowly: `applet:send` waits while the client
/// connection is full, so the proxy holds a bounded amount of memory and every byte arrives.
@Suite("Lua applet backpressure", .timeLimit(.minutes(2)))
struct LuaAppletBackpressureTests {
    /// 64 MB in 64 kB pieces; each piece counts how many sends returned before it, so a dropped or reordered piece
    /// shows.
    static let pieces = 1024
    static let script = """
        local piece = string.rep("x", 65536)
        core.register_service("stream_tcp", "tcp", function(applet)
          for i = 1, \(pieces) do applet:send(piece) end
        end)
        core.register_service("stream_http", "http", function(applet)
          applet:set_status(200)
          applet:add_header("content-length", tostring(\(pieces) * 65536))
          applet:start_response()
          for i = 1, \(pieces) do applet:send(piece) end
        end)
        """

    static func start() async throws -> (TidegateProcess, tcp: Int, http: Int) {
        let scratch = try ScratchDirectory()
        let scriptPath = try scratch.write("stream.lua", script)
        let tcpPort = try FreePort.next()
        let httpPort = try FreePort.next()
        let config = TestConfig.make(
            global: ["nbthread 1", "lua-load-per-thread \(scriptPath)", "tune.lua.service-timeout 60s"],
            """
            frontend ft
                mode tcp
                bind 127.0.0.1:\(tcpPort)
                tcp-request content use-service lua.stream_tcp

            frontend fh
                mode http
                bind 127.0.0.1:\(httpPort)
                http-request use-service lua.stream_http
            """)
        let process = try await TidegateProcess.start(config: config, ports: [tcpPort, httpPort], scratch: scratch)
        return (process, tcpPort, httpPort)
    }

    /// Reads everything from `port` after sending `request`, pausing after every 4 MB; returns the byte count.
    static func slowRead(port: Int, request: String) async throws -> Int {
        try await blocking {
            let socket = try TestSocket.connect(port: port, timeout: .seconds(30))
            defer { socket.close() }
            try socket.send(request)
            // Let the service run ahead of a client that reads nothing yet.
            Thread.sleep(forTimeInterval: 1.0)
            return try socket.receiveAllSlowly()
        }
    }

    @Test("a TCP service sending 64 MB to a slow reader: every byte arrives, proxy memory stays bounded")
    func tcpService() async throws {
        let (tidegate, tcpPort, _) = try await Self.start()
        defer { tidegate.stop() }
        let sampler = RSSSampler(tidegate)
        let received = try await Self.slowRead(port: tcpPort, request: "go\n")
        let memory = await sampler.finish()
        report("lua tcp service backpressure: RSS peak \(memory.peak / 1_048_576) MB over \(memory.samples) samples")
        #expect(received == Self.pieces * 65536)
        #expect(memory.samples >= 3, "transfer too short to sample memory")
        // Without backpressure the 64 MB are queued in the process during the first second.
        #expect(memory.peak < 60 * 1024 * 1024, "tidegate RSS peaked at \(memory.peak / 1_048_576) MB")
    }

    @Test("an HTTP service sending 64 MB to a slow reader: the whole body arrives, proxy memory stays bounded")
    func httpService() async throws {
        let (tidegate, _, httpPort) = try await Self.start()
        defer { tidegate.stop() }
        let sampler = RSSSampler(tidegate)
        let received = try await Self.slowRead(
            port: httpPort, request: "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        let memory = await sampler.finish()
        report("lua http service backpressure: RSS peak \(memory.peak / 1_048_576) MB over \(memory.samples) samples")
        // The head (a few dozen bytes) comes before the body.
        #expect(received > Self.pieces * 65536 && received < Self.pieces * 65536 + 1024, "\(received) bytes")
        #expect(memory.samples >= 3, "transfer too short to sample memory")
        #expect(memory.peak < 60 * 1024 * 1024, "tidegate RSS peaked at \(memory.peak / 1_048_576) MB")
    }
}
