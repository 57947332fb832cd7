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
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(operation: "socket", code: errno) }
        defer { _ = close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw SocketError(operation: "connect", code: errno) }
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
