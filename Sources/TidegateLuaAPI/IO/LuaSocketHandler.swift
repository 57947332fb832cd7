import NIOCore
import NIOTLS

/// The channel handler of a Lua `Socket`: keeps the received bytes until the script reads them and notices the end
/// of the input. While `highWatermark` bytes wait unread it holds the reads back (back-pressure), and lets them go
/// again when the script consumes them.
final class LuaSocketHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let highWatermark = 256 * 1024

    private(set) var received = ByteBuffer()
    /// The peer closed its side, the connection failed or was closed.
    private(set) var inputClosed = false
    /// Called on the event loop when bytes arrive or the input ends.
    var onActivity: (() -> Void)?
    /// Over TLS: succeeded when the handshake completes, failed with the error that ended the connection before.
    var handshake: EventLoopPromise<Void>?
    private var context: ChannelHandlerContext?
    private var readHeldBack = false

    init() {}

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.endOfInput()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.received.writeBuffer(&bytes)
        self.onActivity?()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.endOfInput()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent {
            self.endOfInput()
        } else if case .handshakeCompleted? = event as? TLSUserEvent {
            self.handshake?.succeed(())
            self.handshake = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.handshake?.fail(error)
        self.handshake = nil
        self.endOfInput()
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if self.received.readableBytes >= Self.highWatermark {
            self.readHeldBack = true
        } else {
            context.read()
        }
    }

    private func endOfInput() {
        self.handshake?.fail(ChannelError.eof)
        self.handshake = nil
        guard !self.inputClosed else { return }
        self.inputClosed = true
        self.onActivity?()
    }

    // MARK: Consuming

    /// Removes and returns up to `count` bytes.
    func take(upTo count: Int) -> [UInt8] {
        let bytes = self.received.readBytes(length: min(count, self.received.readableBytes)) ?? []
        self.consumed()
        return bytes
    }

    /// Removes and returns everything received.
    func takeAll() -> [UInt8] {
        self.take(upTo: self.received.readableBytes)
    }

    /// Removes a line ending with LF and returns it without the LF and a CR before it; nil when no full line
    /// was received yet.
    func takeLine() -> [UInt8]? {
        let view = self.received.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var line = Array(view[view.startIndex..<newline])
        if line.last == UInt8(ascii: "\r") {
            line.removeLast()
        }
        self.received.moveReaderIndex(forwardBy: newline - view.startIndex + 1)
        self.consumed()
        return line
    }

    private func consumed() {
        if self.received.readerIndex > 64 * 1024 {
            self.received.discardReadBytes()
        }
        if self.readHeldBack, self.received.readableBytes < Self.highWatermark, let context = self.context {
            self.readHeldBack = false
            context.read()
        }
    }
}
