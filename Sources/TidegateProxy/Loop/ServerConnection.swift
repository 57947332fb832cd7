import NIOCore
import TidegateCore

/// What a server connection reports to the stream currently using it.
protocol ServerConnectionDelegate: AnyObject {
    func serverConnection(_ connection: ServerConnection, didRead buffer: ByteBuffer)
    func serverConnectionReadComplete(_ connection: ServerConnection)
    func serverConnectionWritabilityChanged(_ connection: ServerConnection)
    /// The server closed its sending side (FIN).
    func serverConnectionInputClosed(_ connection: ServerConnection)
    /// The connection is gone.
    func serverConnectionClosed(_ connection: ServerConnection, error: (any Error)?)
    /// Whether the stream wants more bytes from the server now (backpressure).
    var wantsServerData: Bool { get }
    /// The stream must end now because of its server (`Server:shut_sess()` from Lua): log it as killed ("K")
    /// and close both sides.
    func serverConnectionKilled(_ connection: ServerConnection)
}

/// A connection to a server: used by one stream at a time, or parked idle in its loop's pool.
final class ServerConnection {
    let channel: any Channel
    let server: Server
    /// The server's address the connection was opened to: reused only while it is still the current one.
    let address: ServerAddress
    fileprivate(set) var handler: ServerSideHandler!
    /// The stream using the connection. Strong (a weak reference costs on every event); the stream
    /// clears it whenever it lets the connection go (`park`, `close`), which breaks the cycle.
    var delegate: (any ServerConnectionDelegate)?
    private weak var pool: ServerConnectionPool?
    /// The pool of the loop that knows every open connection (set by `ServerConnectionPool.adopt`).
    weak var tracker: ServerConnectionPool?
    private(set) var parkedAt: NIODeadline = .uptimeNanoseconds(0)
    private(set) var isClosed = false

    init(channel: any Channel, server: Server, address: ServerAddress, handler: ServerSideHandler) {
        self.channel = channel
        self.server = server
        self.address = address
        self.handler = handler
        handler.connection = self
    }

    /// Writability as last reported by the channel (kept here: asking the channel costs on every event).
    fileprivate(set) var isWritable = true

    /// Bytes were written since the last flush (a flush is a pipeline traversal: skip empty ones).
    private var needsFlush = false

    func write(_ buffer: ByteBuffer) {
        handler.context?.write(NIOAny(buffer), promise: nil)
        needsFlush = true
    }

    func flush() {
        guard needsFlush else { return }
        needsFlush = false
        handler.context?.flush()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        delegate = nil
        tracker?.forget(self)
        channel.close(promise: nil)
    }

    /// Sends FIN to the server (client half-closed in a tunnel).
    func shutdownOutput() {
        handler.context?.close(mode: .output, promise: nil)
    }

    /// Asks for a read if one was held back by backpressure.
    func resumeReading() { handler.resumeReading() }

    fileprivate func handlePoolEvent() {
        // Any byte or close from an idle server connection: drop it.
        pool?.remove(self)
        pool = nil
        close()
    }

    var isParked: Bool { pool != nil }

    func park(in pool: ServerConnectionPool, at time: NIODeadline) {
        self.pool = pool
        self.delegate = nil
        self.parkedAt = time
        handler.resumeReading()
    }

    func leave() { pool = nil }
}

/// The pipeline handler of a server connection: forwards events to its `ServerConnection`'s
/// delegate and holds reads back while the delegate does not want data.
final class ServerSideHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var connection: ServerConnection?
    fileprivate var context: ChannelHandlerContext?
    private var readPending = false

    init() {}

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let connection else { return }
        if connection.isParked {
            connection.handlePoolEvent()
            return
        }
        connection.delegate?.serverConnection(connection, didRead: unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard let connection, let delegate = connection.delegate else { return }
        delegate.serverConnectionReadComplete(connection)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.isWritable = context.channel.isWritable
        guard let connection, let delegate = connection.delegate else { return }
        delegate.serverConnectionWritabilityChanged(connection)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event, let connection {
            if connection.isParked {
                connection.handlePoolEvent()
            } else {
                connection.delegate?.serverConnectionInputClosed(connection)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard let connection else { return }
        if connection.isParked {
            connection.handlePoolEvent()
            return
        }
        let delegate = connection.delegate
        connection.close()
        delegate?.serverConnectionClosed(connection, error: nil)
        self.connection = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let connection else { return }
        let delegate = connection.delegate
        connection.close()
        delegate?.serverConnectionClosed(connection, error: error)
        self.connection = nil
    }

    func read(context: ChannelHandlerContext) {
        if let connection, connection.isParked || connection.delegate?.wantsServerData ?? false {
            context.read()
        } else {
            readPending = true
        }
    }

    fileprivate func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }
}
