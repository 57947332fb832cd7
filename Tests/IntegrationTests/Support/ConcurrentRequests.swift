import NIOCore
import NIOPosix

/// Sends `count` requests at once, each on its own connection (`Connection: close`), and returns the status of
/// each response (-1 when it could not connect, 0 when a connection closed without a status line).
enum ConcurrentRequests {
    static func get(port: Int, path: String, count: Int) async throws -> [Int] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let request = "GET \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        var futures: [EventLoopFuture<Int>] = []
        for _ in 0..<count {
            let loop = group.next()
            let promise = loop.makePromise(of: Int.self)
            let bootstrap = ClientBootstrap(group: loop).connectTimeout(.seconds(30)).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
            bootstrap.connect(host: "127.0.0.1", port: port).whenComplete { result in
                switch result {
                case .success(let channel):
                    channel.writeAndFlush(ByteBuffer(string: request), promise: nil)
                case .failure:
                    promise.succeed(-1)  // could not connect: told apart from 0, a connection without a response
                }
            }
            futures.append(promise.futureResult)
        }
        var statuses: [Int] = []
        for future in futures {
            statuses.append(try await future.get())
        }
        try await group.shutdownGracefully()
        return statuses
    }
}

/// Collects a response until the server closes, then reports its status code.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var received = ByteBuffer()
    private let promise: EventLoopPromise<Int>

    init(promise: EventLoopPromise<Int>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        received.writeBuffer(&buffer)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let text = String(buffer: received)
        let parts = text.split(separator: " ", maxSplits: 2)
        promise.succeed(parts.count >= 2 && parts[0].hasPrefix("HTTP/1.") ? Int(parts[1]) ?? 0 : 0)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
