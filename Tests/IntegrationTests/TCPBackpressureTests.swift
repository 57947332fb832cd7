import Foundation
import Testing

/// TCP mode with a slow reader: the proxy must hold back the fast side instead of buffering.
@Suite("TCP backpressure", .timeLimit(.minutes(2)))
struct TCPBackpressureTests {
    static let size = 64 * 1024 * 1024

    @Test("64 MB echoed through mode tcp to a slow reader: every byte arrives, proxy memory stays bounded")
    func slowReaderBoundsMemory() async throws {
        let echo = try await TCPEchoServer.start()
        let port = try FreePort.next()
        let config = TestConfig.make(
            """
            frontend ft
                mode tcp
                bind 127.0.0.1:\(port)
                default_backend bt

            backend bt
                mode tcp
                server s1 127.0.0.1:\(echo.port)
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        let socket = try TestSocket.connect(port: port, timeout: .seconds(30))
        defer { socket.close() }
        let sampler = RSSSampler(tidegate)
        let writer = Task {
            try await blocking {
                let piece = [UInt8](repeating: UInt8(ascii: "t"), count: 64 * 1024)
                for _ in 0..<(Self.size / piece.count) { try socket.send(piece) }
                socket.shutdownWrite()
            }
        }
        let received = try await blocking { try socket.receiveAllSlowly() }
        try await writer.value
        let memory = await sampler.finish()
        report("tcp backpressure: tidegate RSS peak \(memory.peak / 1_048_576) MB over \(memory.samples) samples")

        #expect(received == Self.size)
        #expect(memory.samples >= 3, "transfer too short to sample memory")
        #expect(memory.peak < 60 * 1024 * 1024, "tidegate RSS peaked at \(memory.peak / 1_048_576) MB")
    }
}
