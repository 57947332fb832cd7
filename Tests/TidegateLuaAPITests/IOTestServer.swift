import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A local TCP server for the I/O tests, on 127.0.0.1 and a free port. What it does with a connection is its
/// `Behavior`; it records what it received and whether the client closed.
final class IOTestServer: Sendable {
    enum Behavior: Sendable {
        /// Writes back every byte.
        case echo
        /// Accepts and never answers.
        case silent
        /// Writes these bytes; closes after them when `close` is set.
        case greet(String, close: Bool)
        /// Waits for a whole HTTP request (head and content-length body), answers with these bytes and closes.
        case http(String)
    }

    let channel: Channel
    let port: Int
    private let closedByClient: EventLoopPromise<Void>

    /// Returns when a client connection ended; throws if none did within `limit`.
    func clientClosed(within limit: TimeAmount = .seconds(2)) async throws {
        let closed = self.closedByClient.futureResult
        let promise = closed.eventLoop.makePromise(of: Void.self)
        let timer = closed.eventLoop.scheduleTask(in: limit) {
            promise.fail(IOTestHarness.Failure(description: "the client did not close its connection"))
        }
        closed.whenComplete { _ in
            timer.cancel()
            promise.succeed(())
        }
        try await promise.futureResult.get()
    }

    /// With `tls`, connections are TLS (the server's certificate and key in the context).
    init(group: EventLoopGroup, behavior: Behavior, tls: NIOSSLContext? = nil) async throws {
        let closed = group.next().makePromise(of: Void.self)
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionHandler(behavior: behavior, recorder: recorder, closed: closed))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.closedByClient = closed
        self.recorderStorage = recorder
    }

    private let recorderStorage: Recorder

    /// All bytes received on all connections.
    var allReceived: String { self.recorderStorage.text }

    func close() async throws {
        try await self.channel.close()
    }

    /// A port nothing listens on (bound, then released).
    static func closedPort(group: EventLoopGroup) async throws -> Int {
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    final class Recorder: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        func append(_ more: ByteBufferView) { self.bytes.withLock { $0.append(contentsOf: more) } }
        var text: String { String(decoding: self.bytes.withLock { $0 }, as: UTF8.self) }
    }

    private final class ConnectionHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let behavior: Behavior
        let recorder: Recorder
        let closed: EventLoopPromise<Void>
        var request = ByteBuffer()
        var answered = false

        init(behavior: Behavior, recorder: Recorder, closed: EventLoopPromise<Void>) {
            self.behavior = behavior
            self.recorder = recorder
            self.closed = closed
        }

        func channelActive(context: ChannelHandlerContext) {
            if case .greet(let text, let close) = self.behavior {
                let written = context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: text)))
                if close {
                    let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    written.whenComplete { _ in bound.value.close(promise: nil) }
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.closed.succeed(())
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = self.unwrapInboundIn(data)
            self.recorder.append(bytes.readableBytesView)
            switch self.behavior {
            case .echo:
                context.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
            case .silent, .greet:
                break
            case .http(let response):
                self.request.writeBuffer(&bytes)
                guard !self.answered, Self.isComplete(self.request) else { return }
                self.answered = true
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in
                    bound.value.close(promise: nil)
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }

        /// A head, then as many bytes as its content-length says.
        static func isComplete(_ buffer: ByteBuffer) -> Bool {
            let text = String(buffer: buffer)
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let head = text[..<end.lowerBound].lowercased()
            var length = 0
            for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                length = Int(line.dropFirst("content-length:".count).filter { $0 != " " && $0 != "\t" }) ?? 0
            }
            return text.utf8.count - text[..<end.upperBound].utf8.count >= length
        }
    }
}
