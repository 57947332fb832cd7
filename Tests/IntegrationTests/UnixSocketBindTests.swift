import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `bind unix@<path> mode <octal>`: an HTTP frontend on a unix stream socket.
@Suite("Unix socket bind", .timeLimit(.minutes(1)))
struct UnixSocketBindTests {
    @Test("bind unix@path serves HTTP on the socket file, created with the requested mode")
    func unixBind() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let scratch = try ScratchDirectory()
        let socketPath = scratch.file("fe.sock")
        let config = TestConfig.make(
            """
            frontend fe
                bind unix@\(socketPath) mode 600
                default_backend be

            backend be
            \(TestConfig.serverLines([server]))
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [])
        defer { tidegate.stop() }

        let ready = await eventually(timeout: .seconds(5)) { FileManager.default.fileExists(atPath: socketPath) }
        try #require(ready, "no socket file at \(socketPath); stderr:\n\(tidegate.stderrText)")
        var status = stat()
        #expect(lstat(socketPath, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600, "mode \(String(status.st_mode & 0o777, radix: 8))")

        let reply = try await blocking { try Self.exchange(path: socketPath, "GET /over-unix HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") }
        #expect(reply.hasPrefix("HTTP/1.1 200"), "reply: \(reply.prefix(200))")
        #expect(server.requests.contains { $0.uri == "/over-unix" })
    }

    /// Sends `request` on a unix stream socket and reads until the peer closes.
    static func exchange(path: String, _ request: String) throws -> String {
        let socket = try TestSocket.connect(unixPath: path, timeout: .seconds(5))
        try socket.send(request)
        return String(decoding: try socket.receiveUntilClosed(), as: UTF8.self)
    }
}
