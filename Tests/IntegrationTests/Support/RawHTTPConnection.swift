import Foundation

/// A response as read off the wire by ``RawHTTPConnection``.
struct RawHTTPResponse: Sendable, CustomStringConvertible {
    var version: String
    var status: Int
    var reason: String
    /// Fields in order, names as received.
    var headers: [(name: String, value: String)]
    /// The body, decoded from its framing and truncated at the reader's `keepBody` limit.
    var body: [UInt8]
    /// How many body bytes the framing delivered (may exceed `body.count`).
    var bodyLength: Int

    /// The first field named `name` (case-insensitive).
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of fields named `name` (case-insensitive).
    func headers(named name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The backend that produced the response (`x-served-by` of ``TestHTTPServer``).
    var servedBy: String? { header("x-served-by") }

    var description: String {
        let fields = headers.map { "\($0.name): \($0.value)" }.joined(separator: ", ")
        return "\(status) \(reason) [\(fields)] body(\(bodyLength)): \(bodyText.prefix(200))"
    }
}

/// A response that could not be read.
struct HTTPReadError: Error, CustomStringConvertible {
    var description: String
}

/// An HTTP/1.1 client connection over a raw socket: sends exactly the bytes it is given and reads
/// responses framed by Content-Length, chunked encoding or connection close.
final class RawHTTPConnection: @unchecked Sendable {
    let socket: TestSocket
    private var buffer: [UInt8] = []
    private var position = 0
    /// A pause after every socket read, to play a slow client.
    var readPause: Duration?

    init(port: Int, timeout: Duration = .seconds(10)) throws {
        socket = try TestSocket.connect(port: port, timeout: timeout)
    }

    func send(_ text: String) throws { try socket.send(text) }
    func send(_ bytes: [UInt8]) throws { try socket.send(bytes) }

    func close() { socket.close() }

    /// Reads one response. `method` is the request's (a HEAD response has no body); bodies longer
    /// than `keepBody` are counted, not kept.
    func readResponse(method: String = "GET", keepBody: Int = 1 << 20) throws -> RawHTTPResponse {
        let headEnd = try readHead()
        let headText = String(decoding: buffer[position..<headEnd], as: UTF8.self)
        position = headEnd + 4
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw HTTPReadError(description: "bad status line: \(statusLine)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                throw HTTPReadError(description: "bad header line: \(line)")
            }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = RawHTTPResponse(
            version: String(parts[0]), status: status, reason: parts.count > 2 ? String(parts[2]) : "",
            headers: headers, body: [], bodyLength: 0)
        if method == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 {
            return response
        }
        let encoding = response.header("transfer-encoding")?.lowercased()
        if let encoding, encoding.contains("chunked") {
            try readChunkedBody(into: &response, keep: keepBody)
        } else if let length = response.header("content-length").flatMap({ Int($0) }) {
            try readBody(count: length, into: &response, keep: keepBody)
        } else {
            try readBodyUntilClose(into: &response, keep: keepBody)
        }
        return response
    }

    /// Waits for the peer to close: true when the stream ends (or is reset) with no further
    /// bytes, false when bytes arrive instead.
    func waitForClose() throws -> Bool {
        if position < buffer.count { return false }
        do {
            return try fill() == 0
        } catch let error as SocketError where error.isReset {
            return true
        }
    }

    /// Bytes already received and not consumed by a response, then whatever arrives next.
    func readAvailable(maximum: Int = 65536) throws -> [UInt8] {
        if position < buffer.count {
            let pending = Array(buffer[position...])
            position = buffer.count
            return pending
        }
        return try socket.receive(maximum: maximum)
    }

    /// Reads exactly `count` bytes (fewer only if the stream ends).
    func readExactly(_ count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            if position == buffer.count, try fill() == 0 { break }
            let take = min(count - out.count, buffer.count - position)
            out.append(contentsOf: buffer[position..<(position + take)])
            position += take
        }
        return out
    }

    // MARK: - Reading

    /// Receives more bytes into the buffer; returns how many (0 at end of stream).
    @discardableResult
    private func fill() throws -> Int {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 1 << 20 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        let chunk = try socket.receive(maximum: 256 * 1024)
        if let readPause {
            let (seconds, attoseconds) = readPause.components
            usleep(UInt32(seconds) * 1_000_000 + UInt32(attoseconds / 1_000_000_000_000))
        }
        buffer.append(contentsOf: chunk)
        return chunk.count
    }

    /// Index of the `\r\n\r\n` that ends the head starting at `position`.
    private func readHead() throws -> Int {
        // Bytes after `position` already scanned; relative, because `fill()` may compact the buffer.
        var scanned = 0
        while true {
            var index = position + scanned
            while index + 3 < buffer.count {
                if buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10
                {
                    return index
                }
                index += 1
            }
            scanned = max(0, index - position)
            if try fill() == 0 {
                let partial = String(decoding: buffer[position...], as: UTF8.self)
                throw HTTPReadError(
                    description: "connection closed before a complete response head (got \(partial.debugDescription))")
            }
        }
    }

    private func readLine() throws -> String {
        while true {
            var index = position
            while index + 1 < buffer.count {
                if buffer[index] == 13 && buffer[index + 1] == 10 {
                    let line = String(decoding: buffer[position..<index], as: UTF8.self)
                    position = index + 2
                    return line
                }
                index += 1
            }
            if try fill() == 0 { throw HTTPReadError(description: "connection closed inside chunked framing") }
        }
    }

    private func consume(_ count: Int, into response: inout RawHTTPResponse, keep: Int) throws {
        var remaining = count
        while remaining > 0 {
            if position == buffer.count {
                if try fill() == 0 {
                    throw HTTPReadError(
                        description:
                            "connection closed with \(remaining) body bytes missing (after \(response.bodyLength))")
                }
            }
            let take = min(remaining, buffer.count - position)
            let room = max(0, keep - response.body.count)
            if room > 0 { response.body.append(contentsOf: buffer[position..<(position + min(room, take))]) }
            position += take
            remaining -= take
            response.bodyLength += take
        }
    }

    private func readBody(count: Int, into response: inout RawHTTPResponse, keep: Int) throws {
        try consume(count, into: &response, keep: keep)
    }

    private func readChunkedBody(into response: inout RawHTTPResponse, keep: Int) throws {
        while true {
            let line = try readLine()
            let sizeText = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw HTTPReadError(description: "bad chunk size line: \(line.debugDescription)")
            }
            if size == 0 {
                while try !readLine().isEmpty {}
                return
            }
            try consume(size, into: &response, keep: keep)
            guard try readLine().isEmpty else { throw HTTPReadError(description: "missing CRLF after chunk") }
        }
    }

    private func readBodyUntilClose(into response: inout RawHTTPResponse, keep: Int) throws {
        while true {
            if position == buffer.count, try fill() == 0 { return }
            try consume(buffer.count - position, into: &response, keep: keep)
        }
    }
}

/// Request texts for the raw client.
enum RawRequest {
    /// A request with no body; `close` adds `Connection: close`.
    static func get(
        _ path: String, method: String = "GET", host: String = "test.local", headers: [(String, String)] = [],
        close: Bool = false
    ) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if close { text += "Connection: close\r\n" }
        return text + "\r\n"
    }
}

/// One-shot helpers over fresh connections, run on a blocking thread.
enum HTTPClient {
    /// Sends one request on a new connection and reads its response.
    static func request(
        port: Int, _ path: String, method: String = "GET", headers: [(String, String)] = [],
        timeout: Duration = .seconds(10)
    ) async throws -> RawHTTPResponse {
        try await blocking {
            let connection = try RawHTTPConnection(port: port, timeout: timeout)
            defer { connection.close() }
            try connection.send(RawRequest.get(path, method: method, headers: headers, close: true))
            return try connection.readResponse(method: method)
        }
    }

    /// `count` requests, each on a new connection, one after the other.
    static func sequential(port: Int, count: Int, path: String = "/") async throws -> [RawHTTPResponse] {
        try await blocking {
            try (0..<count).map { _ in
                let connection = try RawHTTPConnection(port: port)
                defer { connection.close() }
                try connection.send(RawRequest.get(path, close: true))
                return try connection.readResponse()
            }
        }
    }
}
