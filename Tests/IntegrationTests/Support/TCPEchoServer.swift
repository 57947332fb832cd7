import NIOCore
import NIOPosix
import Synchronization

/// A TCP server on 127.0.0.1 that sends back every byte it receives and closes once the client
/// has half-closed and everything is echoed.
///
/// In `upgrade` mode it first reads an HTTP request head and answers
/// `101 Switching Protocols`, then echoes — a stand-in for a WebSocket backend.
final class TCPEchoServer: Sendable {
    enum Mode: Sendable {
        case echo
        case upgrade
    }

    let port: Int
    private let channel: any Channel
    private let counters = Mutex((connections: 0, bytes: 0))

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start(mode: Mode = .echo) async throws -> TCPEchoServer {
        let box = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let server = box.server else { throw ChannelError.ioOnClosedChannel }
                    try channel.pipeline.syncOperations.addHandler(EchoHandler(server: server, mode: mode))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TCPEchoServer(channel: channel, port: channel.localAddress!.port!)
        box.server = server
        return server
    }

    deinit {
        channel.close(promise: nil)
    }

    func stop() async {
        try? await channel.close()
    }

    /// Connections accepted so far.
    var connectionCount: Int { counters.withLock { $0.connections } }
    /// Bytes echoed so far (after any upgrade head).
    var bytesEchoed: Int { counters.withLock { $0.bytes } }

    fileprivate func accepted() { counters.withLock { $0.connections += 1 } }
    fileprivate func echoed(_ count: Int) { counters.withLock { $0.bytes += count } }

    private final class Box: @unchecked Sendable {
        weak var server: TCPEchoServer?
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: TCPEchoServer
    private var waitingHead: Bool
    private var head = ByteBuffer()

    init(server: TCPEchoServer, mode: TCPEchoServer.Mode) {
        self.server = server
        self.waitingHead = mode == .upgrade
    }

    func channelActive(context: ChannelHandlerContext) {
        server.accepted()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if waitingHead {
            head.writeBuffer(&buffer)
            let view = head.readableBytesView
            guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            waitingHead = false
            let rest = head.getSlice(at: end.upperBound, length: view.endIndex - end.upperBound) ?? ByteBuffer()
            let response = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"
            context.write(wrapOutboundOut(ByteBuffer(string: response)), promise: nil)
            buffer = rest
            head = ByteBuffer()
        }
        if buffer.readableBytes > 0 {
            server.echoed(buffer.readableBytes)
            context.write(wrapOutboundOut(buffer), promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
