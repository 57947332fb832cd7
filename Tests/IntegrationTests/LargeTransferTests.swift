import Testing

/// 100 MB each way, streamed: exact byte counts and bounded proxy memory.
@Suite("Large transfers", .timeLimit(.minutes(3)))
struct LargeTransferTests {
    static let size = 100 * 1024 * 1024
    static let rssLimit = 150 * 1024 * 1024

    @Test("100 MB chunked upload")
    func upload() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let sampler = RSSSampler(tidegate)
        let response = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(30))
            defer { connection.close() }
            // The server reads slowly (64 KiB every 2 ms at most): the proxy must stop reading the client.
            try connection.send(
                "POST /upload?throttle=2 HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n")
            let piece = [UInt8](repeating: UInt8(ascii: "u"), count: 64 * 1024)
            let framed = Array("10000\r\n".utf8) + piece + Array("\r\n".utf8)
            for _ in 0..<(Self.size / piece.count) { try connection.send(framed) }
            try connection.send("0\r\n\r\n")
            return try connection.readResponse()
        }
        let memory = await sampler.finish()
        report("upload: tidegate RSS peak \(memory.peak / 1_048_576) MB over \(memory.samples) samples")

        #expect(response.status == 200, "\(response)")
        #expect(response.header("x-body-bytes") == String(Self.size))
        #expect(server.requests.first?.bodyBytes == Self.size)
        #expect(memory.samples >= 3, "transfer too short to sample memory")
        #expect(memory.peak < Self.rssLimit, "tidegate RSS peaked at \(memory.peak / 1_048_576) MB")
    }

    @Test("100 MB chunked download")
    func download() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let sampler = RSSSampler(tidegate)
        let response = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(30))
            defer { connection.close() }
            // The client reads slowly (256 KiB every 5 ms at most): the proxy must stop reading the server.
            connection.readPause = .milliseconds(5)
            try connection.send(RawRequest.get("/download?bytes=\(Self.size)"))
            return try connection.readResponse(keepBody: 16)
        }
        let memory = await sampler.finish()
        report("download: tidegate RSS peak \(memory.peak / 1_048_576) MB over \(memory.samples) samples")

        #expect(response.status == 200)
        #expect(response.bodyLength == Self.size)
        #expect(server.bytesStreamed == Self.size)
        #expect(memory.samples >= 3, "transfer too short to sample memory")
        #expect(memory.peak < Self.rssLimit, "tidegate RSS peaked at \(memory.peak / 1_048_576) MB")
    }

    @Test("20 MB response to a slow reader that asked for Connection: close arrives whole before the close")
    func closeAfterLargeResponse() async throws {
        let size = 20 * 1024 * 1024
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let response = try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: .seconds(30))
            defer { connection.close() }
            // Slow enough that most of the body is still queued in the proxy when the server is done.
            connection.readPause = .milliseconds(5)
            try connection.send(RawRequest.get("/download?bytes=\(size)", close: true))
            return try connection.readResponse(keepBody: 16)
        }
        #expect(response.status == 200)
        #expect(response.bodyLength == size, "the body was cut at \(response.bodyLength) bytes")
    }
}

/// Samples a process's RSS every 20 ms until ``finish()``.
final class RSSSampler: Sendable {
    private let task: Task<(peak: Int, samples: Int), Never>

    init(_ tidegate: TidegateProcess) {
        task = Task {
            var peak = 0
            var samples = 0
            while !Task.isCancelled {
                if let bytes = tidegate.residentBytes() {
                    peak = max(peak, bytes)
                    samples += 1
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return (peak, samples)
        }
    }

    func finish() async -> (peak: Int, samples: Int) {
        task.cancel()
        return await task.value
    }
}
