import TidegateConfig
import NIOCore
import TidegateCore

/// One client connection of a TCP frontend: picks a backend and a server, then relays bytes both
/// ways with backpressure and half-close (a FIN on one side is passed on to the other, and the
/// stream ends when both directions are closed).
final class TCPSession: ChannelDuplexHandler, ServerConnectionDelegate, QueueWakeable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let frontend: FrontendRuntime
    let loop: LoopContext
    let stream: StreamContext
    private var context: ChannelHandlerContext!
    private var backend: BackendRuntime?
    private var chosen: Server?
    private var server: ServerConnection?
    private var pending = ByteBuffer()
    private var clientReadPending = false
    /// Bytes were written to the client since the last flush.
    private var clientNeedsFlush = false
    /// `close()` was called (it waits for pending writes before closing the channel).
    private var closeRequested = false
    /// Writability of the client channel, as last reported.
    private var clientWritable = true
    private var clientInputClosed = false
    private var serverInputClosed = false
    private var closed = false
    private var attempts = 0
    private var queueTicket: QueueTicket?
    private var deadline: NIODeadline?
    private var timerTask: Scheduled<Void>?
    private var idleTimeout: TimeAmount?
    private var bytesToClient: UInt64 = 0
    private var bytesFromClient: UInt64 = 0
    private var connectedAt: NIODeadline?
    private var connectStartedAt: NIODeadline?
    private var termination: (Character, Character) = ("-", "-")

    init(frontend: FrontendRuntime, loop: LoopContext, stream: StreamContext) {
        self.frontend = frontend
        self.loop = loop
        self.stream = stream
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        guard frontend.rules.acceptContent(stream: stream) else {
            terminate("P", "R")
            close()
            return
        }
        guard let backend = frontend.rules.selectBackend(stream: stream, default: frontend.defaultBackend) else {
            terminate("P", "C")
            close()
            return
        }
        self.backend = backend
        stream.backendName = backend.name
        if backend.proxyID != frontend.proxyID, !backend.rules.acceptContent(stream: stream) {
            terminate("P", "R")
            close()
            return
        }
        idleTimeout = frontend.timeouts.client
        armTimer()
        assignServer(avoiding: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytesFromClient += UInt64(buffer.readableBytes)
        touch()
        if let server {
            server.write(buffer)
        } else {
            var buffer = buffer
            pending.writeBuffer(&buffer)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        server?.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        clientWritable = context.channel.isWritable
        if clientWritable { server?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        clientInputClosed = true
        if let server {
            server.flush()
            server.shutdownOutput()
        } else if chosen == nil && queueTicket == nil {
            close()
            return
        }
        if serverInputClosed {
            close()
        } else if let fin = frontend.timeouts.clientFin {
            idleTimeout = fin
            armTimer()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !closed {
            if termination.0 == "-" { terminate("C", server == nil ? "C" : "D") }
            finish()
        }
        stream.listener?.connectionClosed()
        frontend.connectionClosed()
        loop.runtime.connectionClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if wantsClientData {
            context.read()
        } else {
            clientReadPending = true
        }
    }

    private var wantsClientData: Bool {
        if let server { return server.isWritable }
        return pending.readableBytes < loop.runtime.tuning.bufferSize
    }

    private func resumeClientReading() {
        guard clientReadPending, wantsClientData, !closed else { return }
        clientReadPending = false
        context.read()
    }

    // MARK: - Server choice and connection

    private func assignServer(avoiding: Server?) {
        guard let backend else { return }
        let hashInput: BalancerState.HashInput =
            backend.backend.algorithm == .source ? .init(stream.clientAddress?.addressBytes) : .init(nil)
        switch loop.selectServer(backend, hashInput: hashInput, avoiding: avoiding) {
        case .unavailable:
            terminate("s", "C")
            close()
        case .allFull:
            let ticket = QueueTicket(session: self, eventLoop: loop.eventLoop, queue: backend.backend.queue)
            queueTicket = ticket
            backend.backend.queue.enqueue(ticket)
            idleTimeout = backend.timeouts.queue ?? backend.timeouts.connect
            armTimer()
        case .server(let server):
            connect(server, backend: backend)
        }
    }

    func queueWake() {
        guard !closed, queueTicket != nil, let backend else { return }
        queueTicket = nil
        switch loop.selectServer(backend, hashInput: .init(nil), avoiding: nil) {
        case .allFull:
            let ticket = QueueTicket(session: self, eventLoop: loop.eventLoop, queue: backend.backend.queue)
            queueTicket = ticket
            backend.backend.queue.requeueFirst(ticket)
        case .unavailable:
            terminate("s", "Q")
            close()
        case .server(let server):
            connect(server, backend: backend)
        }
    }

    private func connect(_ target: Server, backend: BackendRuntime) {
        chosen = target
        stream.serverName = target.name
        attempts += 1
        if connectStartedAt == nil { connectStartedAt = .now() }
        let loopBound = NIOLoopBound(self, eventLoop: loop.eventLoop)
        loop.connect(to: target, timeout: backend.timeouts.connect) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ServerSideHandler())
            }
        }.whenComplete { result in
            let session = loopBound.value
            switch result {
            case .success(let channel):
                guard !session.closed,
                    let handler = try? channel.pipeline.syncOperations.handler(type: ServerSideHandler.self)
                else {
                    channel.close(promise: nil)
                    return
                }
                session.attach(session.loop.pool.adopt(channel: channel, server: target, handler: handler))
            case .failure:
                guard !session.closed else { return }
                session.connectFailed(target, backend: backend)
            }
        }
    }

    private func connectFailed(_ failed: Server, backend: BackendRuntime) {
        releaseSlot()
        if attempts <= backend.retries {
            // HAProxy retries the same server, and redispatches the last retry with `option redispatch`.
            let redispatch = backend.redispatch && attempts == backend.retries
            if !redispatch && failed.isUsable && failed.tryAcquireSlot() {
                connect(failed, backend: backend)
            } else {
                assignServer(avoiding: failed)
            }
        } else {
            terminate("S", "C")
            close()
        }
    }

    private func attach(_ connection: ServerConnection) {
        server = connection
        connection.delegate = self
        connectedAt = .now()
        idleTimeout = frontend.timeouts.tunnel ?? backend?.timeouts.tunnel ?? backend?.timeouts.server
            ?? frontend.timeouts.client
        armTimer()
        if pending.readableBytes > 0 {
            connection.write(pending)
            pending = ByteBuffer()
        }
        connection.flush()
        if clientInputClosed { connection.shutdownOutput() }
        connection.resumeReading()
        resumeClientReading()
    }

    // MARK: - ServerConnectionDelegate

    var wantsServerData: Bool { !closed && clientWritable }

    func serverConnection(_ connection: ServerConnection, didRead buffer: ByteBuffer) {
        guard connection === server else { return }
        bytesToClient += UInt64(buffer.readableBytes)
        touch()
        writeToClient(buffer)
    }

    func serverConnectionReadComplete(_ connection: ServerConnection) {
        flushClient()
    }

    func serverConnectionWritabilityChanged(_ connection: ServerConnection) {
        if connection.isWritable { resumeClientReading() }
    }

    func serverConnectionInputClosed(_ connection: ServerConnection) {
        serverInputClosed = true
        flushClient()
        if clientInputClosed {
            close()
            return
        }
        context.close(mode: .output, promise: nil)
        if let fin = backend?.timeouts.serverFin {
            idleTimeout = fin
            armTimer()
        }
    }

    func serverConnectionKilled(_ connection: ServerConnection) {
        guard connection === server else {
            connection.close()
            return
        }
        terminate("K", "D")
        close()
    }

    func serverConnectionClosed(_ connection: ServerConnection, error: (any Error)?) {
        guard connection === server else { return }
        server = nil
        if termination.0 == "-" && error != nil { terminate("S", "D") }
        flushClient()
        close()
    }

    private func writeToClient(_ buffer: ByteBuffer) {
        context.write(wrapOutboundOut(buffer), promise: nil)
        clientNeedsFlush = true
    }

    private func flushClient() {
        guard clientNeedsFlush else { return }
        clientNeedsFlush = false
        context.flush()
    }

    // MARK: - Ending

    private func terminate(_ a: Character, _ b: Character) {
        if termination.0 == "-" { termination = (a, b) }
    }

    private func releaseSlot() {
        guard let chosen else { return }
        self.chosen = nil
        chosen.releaseSlot()
        backend?.backend.queue.slotReleased()
    }

    private func finish() {
        guard !closed else { return }
        closed = true
        timerTask?.cancel()
        timerTask = nil
        if let server {
            self.server = nil
            server.close()
        }
        if let ticket = queueTicket, let backend {
            backend.backend.queue.remove(ticket)
            queueTicket = nil
        }
        releaseSlot()
        frontend.log?.emitTCP(
            stream: stream, frontend: frontend, runtime: loop.runtime, bytesToClient: bytesToClient,
            bytesFromClient: bytesFromClient, connectedAt: connectedAt, connectStartedAt: connectStartedAt,
            termination: termination)
    }

    /// Ends the stream; bytes already queued for the client are delivered before the close.
    private func close() {
        guard !closeRequested else { return }
        closeRequested = true
        finish()
        ClientCloser.closeAfterPendingWrites(
            context, limit: frontend.timeouts.client ?? ClientCloser.defaultLimit)
        clientNeedsFlush = false
    }

    // MARK: - Inactivity timer

    private func touch() {
        guard let idleTimeout else { return }
        deadline = NIODeadline.now() + idleTimeout
    }

    private func armTimer() {
        guard let idleTimeout else {
            deadline = nil
            return
        }
        let target = NIODeadline.now() + idleTimeout
        deadline = target
        timerTask?.cancel()
        schedule(at: target)
    }

    private func schedule(at target: NIODeadline) {
        timerTask = loop.eventLoop.assumeIsolated().scheduleTask(deadline: target) { [self] in
            timerTask = nil
            guard let deadline, !closed else { return }
            if deadline > NIODeadline.now() {
                schedule(at: deadline)
                return
            }
            if queueTicket != nil {
                terminate("s", "Q")
            } else if server == nil {
                terminate("s", "C")
            } else {
                terminate("c", "D")
            }
            close()
        }
    }
}
