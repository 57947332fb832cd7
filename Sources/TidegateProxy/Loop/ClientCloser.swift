import NIOCore

/// Closes a client channel after what was written to it has been sent. NIO fails the writes still
/// pending when a channel closes, so closing right after queuing a response would cut it; an
/// empty write is flushed behind them and the channel closes when it completes. A client that
/// stops reading cannot hold the connection: it is closed anyway after `limit`.
enum ClientCloser {
    static let defaultLimit: TimeAmount = .seconds(10)

    static func closeAfterPendingWrites(_ context: ChannelHandlerContext, limit: TimeAmount) {
        guard context.channel.isActive else {
            context.close(promise: nil)
            return
        }
        let loop = context.eventLoop.assumeIsolated()
        let flushed = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(ByteBuffer()), promise: flushed)
        let fallback = loop.scheduleTask(in: limit) { context.close(promise: nil) }
        flushed.futureResult.assumeIsolated().whenComplete { _ in
            fallback.cancel()
            context.close(promise: nil)
        }
    }
}
