import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// What a ``TestHTTPServer`` saw of one request.
struct RecordedRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(name: String, value: String)]
    var bodyBytes: Int
    /// Which accepted connection (1-based, in accept order) carried the request.
    var connection: Int

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func headers(named name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
}

/// A real HTTP/1.1 server on 127.0.0.1 (NIOHTTP1), standing in for a backend.
///
/// Every response names the server (`x-served-by`, body `<name>\n`), echoes the method, target and
/// request headers `host` and `x-*` as `x-echo-<name>` response headers, and reports the request
/// body size in `x-body-bytes` (bodies are counted, never kept). The query string controls the
/// behaviour of one request:
/// - `delay=<ms>`: answer after this delay;
/// - `status=<code>`: answer with this status;
/// - `bytes=<n>`: stream a chunked body of `n` bytes, honouring backpressure;
/// - `close=1`: close the connection without answering;
/// - `throttle=<ms>`: pause this long before each socket read while receiving the request body
///   (a slow reader, so a proxy in front must apply backpressure).
/// A request carrying `Expect: 100-continue` gets a `100 Continue` before its body is read.
final class TestHTTPServer: Sendable {
    let name: String
    let port: Int
    private let channel: any Channel
    fileprivate let state = Mutex(State())

    fileprivate struct State {
        var requests: [RecordedRequest] = []
        var connections = 0
        var openConnections = 0
        var inFlight = 0
        /// Most requests in flight at once since the start.
        var peakInFlight = 0
        var bytesStreamed = 0
    }

    private init(name: String, channel: any Channel, port: Int) {
        self.name = name
        self.channel = channel
        self.port = port
    }

    /// Starts a server on a free loopback port.
    static func start(name: String) async throws -> TestHTTPServer {
        let box = ServerBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    guard let server = box.server else { throw ChannelError.ioOnClosedChannel }
                    try channel.pipeline.syncOperations.addHandler(TestHTTPHandler(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TestHTTPServer(name: name, channel: channel, port: channel.localAddress!.port!)
        box.server = server
        return server
    }

    /// Starts `count` servers named `<prefix>1`, `<prefix>2`…
    static func start(count: Int, prefix: String = "s") async throws -> [TestHTTPServer] {
        var servers: [TestHTTPServer] = []
        for index in 1...count { servers.append(try await start(name: "\(prefix)\(index)")) }
        return servers
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Stops listening (connections already open stay until their peer closes them).
    func stop() async {
        try? await channel.close()
    }

    var requests: [RecordedRequest] { state.withLock { $0.requests } }
    var requestCount: Int { state.withLock { $0.requests.count } }
    /// Distinct TCP connections accepted so far.
    var connectionCount: Int { state.withLock { $0.connections } }
    /// Requests received and not yet fully answered.
    var inFlight: Int { state.withLock { $0.inFlight } }
    /// Most requests in flight at once since the start.
    var peakInFlight: Int { state.withLock { $0.peakInFlight } }
    /// Body bytes of streamed (`bytes=`) responses written so far.
    var bytesStreamed: Int { state.withLock { $0.bytesStreamed } }

    /// Lets the channel initializer reach the server built after `bind` returned.
    private final class ServerBox: @unchecked Sendable {
        weak var server: TestHTTPServer?
    }
}

/// The per-connection handler of ``TestHTTPServer``.
private final class TestHTTPHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: TestHTTPServer
    private var connectionNumber = 0
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var streamRemaining = 0
    private var streamKeepAlive = true
    private var readDelay: Int64?
    private static let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)

    init(server: TestHTTPServer) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        connectionNumber = server.state.withLock {
            $0.connections += 1
            $0.openConnections += 1
            return $0.connections
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        server.state.withLock { $0.openConnections -= 1 }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
            bodyBytes = 0
            readDelay = Self.query(of: request.uri)["throttle"].flatMap { Int64($0) }
            server.state.withLock {
                $0.inFlight += 1
                $0.peakInFlight = max($0.peakInFlight, $0.inFlight)
            }
            if request.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(
                    wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .continue))),
                    promise: nil)
            }
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
        case .end:
            guard let request = head else { return }
            head = nil
            readDelay = nil
            let recorded = RecordedRequest(
                method: request.method.rawValue, uri: request.uri,
                headers: request.headers.map { (name: $0.name, value: $0.value) }, bodyBytes: bodyBytes,
                connection: connectionNumber)
            server.state.withLock { $0.requests.append(recorded) }
            let query = Self.query(of: request.uri)
            if query["close"] == "1" {
                server.state.withLock { $0.inFlight -= 1 }
                context.close(promise: nil)
                return
            }
            let delay = query["delay"].flatMap { Int64($0) } ?? 0
            let bytes = bodyBytes
            if delay > 0 {
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(delay)) {
                    let (handler, context) = loopBound.value
                    handler.respond(context: context, to: request, query: query, bodyBytes: bytes)
                }
            } else {
                respond(context: context, to: request, query: query, bodyBytes: bytes)
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        guard let readDelay else {
            context.read()
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(readDelay)) { loopBound.value.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(
        context: ChannelHandlerContext, to request: HTTPRequestHead, query: [String: String], bodyBytes: Int
    ) {
        guard context.channel.isActive else { return }
        let status = HTTPResponseStatus(statusCode: query["status"].flatMap { Int($0) } ?? 200)
        var headers = HTTPHeaders()
        headers.add(name: "x-served-by", value: server.name)
        headers.add(name: "x-echo-method", value: request.method.rawValue)
        headers.add(name: "x-echo-path", value: request.uri)
        headers.add(name: "x-body-bytes", value: String(bodyBytes))
        for field in request.headers {
            let lower = field.name.lowercased()
            if lower == "host" || lower.hasPrefix("x-") { headers.add(name: "x-echo-\(lower)", value: field.value) }
        }
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "connection", value: "close") }
        if let streamed = query["bytes"].flatMap({ Int($0) }) {
            headers.add(name: "transfer-encoding", value: "chunked")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                promise: nil)
            streamRemaining = streamed
            streamKeepAlive = keepAlive
            pump(context: context)
            return
        }
        let body = ByteBuffer(string: "\(server.name)\n")
        headers.add(name: "content-length", value: String(body.readableBytes))
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
            promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        finish(context: context, keepAlive: keepAlive)
    }

    /// Writes streamed body chunks while the channel is writable.
    private func pump(context: ChannelHandlerContext) {
        guard streamRemaining > 0 else { return }
        while streamRemaining > 0 && context.channel.isWritable {
            var piece = Self.chunk
            if streamRemaining < piece.readableBytes { piece = piece.getSlice(at: 0, length: streamRemaining)! }
            streamRemaining -= piece.readableBytes
            let count = piece.readableBytes
            server.state.withLock { $0.bytesStreamed += count }
            context.write(wrapOutboundOut(.body(.byteBuffer(piece))), promise: nil)
            context.flush()
        }
        // A flush may re-enter through channelWritabilityChanged and finish the stream first: finish once.
        if streamRemaining == 0 {
            streamRemaining = -1
            finish(context: context, keepAlive: streamKeepAlive)
        }
    }

    private func finish(context: ChannelHandlerContext, keepAlive: Bool) {
        server.state.withLock { $0.inFlight -= 1 }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private static func query(of uri: String) -> [String: String] {
        guard let mark = uri.firstIndex(of: "?") else { return [:] }
        var result: [String: String] = [:]
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }
}
