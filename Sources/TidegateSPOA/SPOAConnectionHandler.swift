import Logging
import NIOCore
import SPOP

/// One HAProxy connection: feeds the received bytes to an `SPOPConnectionStateMachine`, executes the actions it
/// returns, and writes an ACK for every NOTIFY when the NOTIFY's handlers are done — in completion order, so
/// pipelined frames are answered out of order when a slow handler lets later ones pass it.
///
/// Each frame is written whole with one `write` (HAProxy 3.2 resets connections whose frames arrive split).
/// At most `maxInFlightPerConnection` NOTIFYs are processed at once; past that the handler stops reading the
/// socket until ACKs go out. Confined to its worker's event loop.
final class SPOAConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let worker: SPOAWorker
    private var machine: SPOPConnectionStateMachine
    private var logger: Logger
    private let debug: Bool
    private var context: ChannelHandlerContext?
    /// Received bytes not yet decoded.
    private var received = ByteBuffer()
    private var jobs: [Int: SPOANotifyJob] = [:]
    private var nextJobID = 0
    /// Inside `channelRead`: ACKs completed meanwhile are flushed at `channelReadComplete`.
    private var reading = false
    private var needsFlush = false
    /// ACKs written but not flushed yet (answered, but HAProxy has not seen the answer).
    private var unflushedAcks = 0
    /// Inside `processFrames` (a handler finishing synchronously must not re-enter it).
    private var processing = false
    /// A `read` held back because too many frames are in flight (or the connection is draining).
    private var readHeld = false
    /// Graceful shutdown: no more reads; AGENT-DISCONNECT once the in-flight frames are answered.
    private var draining = false
    private var closed = false

    init(worker: SPOAWorker) {
        self.worker = worker
        self.machine = SPOPConnectionStateMachine(configuration: worker.configuration.protocolConfiguration)
        self.logger = worker.logger
        self.debug = worker.logger.logLevel <= .debug
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let remote = context.channel.remoteAddress {
            logger[metadataKey: "tg.spoa.peer"] = "\(remote)"
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        worker.connectionOpened(self)
        if debug { logger.debug("connection opened") }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        cancelJobs()
        worker.connectionClosed(self)
        if debug { logger.debug("connection closed") }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard !closed, !machine.isClosed else { return }
        if received.readableBytes == 0 {
            received = bytes
        } else {
            received.writeBuffer(&bytes)
        }
        reading = true
        processFrames()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        reading = false
        if needsFlush {
            needsFlush = false
            unflushedAcks = 0
            context.flush()
        }
        if received.readableBytes == 0 {
            received = ByteBuffer()
        } else if received.readerIndex > 64 * 1024 {
            received.discardReadBytes()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if draining || jobs.count >= worker.configuration.maxInFlightPerConnection {
            readHeld = true
            return
        }
        context.read()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // HAProxy 3.x resets agent connections on reload and shutdown: not worth more than a debug line.
        if debug { logger.debug("connection error: \(error)") }
        context.close(promise: nil)
    }

    // MARK: Frames

    private func processFrames() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while !closed, jobs.count < worker.configuration.maxInFlightPerConnection {
            if debug { logNextFrame() }
            guard let action = machine.read(from: &received) else { break }
            execute(action)
        }
    }

    private func execute(_ action: SPOPConnectionStateMachine.Action) {
        switch action {
        case .nothing:
            break
        case .sendAgentHello(let hello, let closeAfterwards):
            var out = context!.channel.allocator.buffer(capacity: 96)
            out.writeSPOPAgentHello(hello)
            if debug {
                let note = closeAfterwards ? " (health check: closing)" : ""
                logger.debug(
                    """
                    sent AGENT-HELLO version=\(hello.version) max-frame-size=\(hello.maxFrameSize) \
                    capabilities="\(hello.capabilities)"\(note)
                    """)
            }
            if closeAfterwards {
                worker.statistics.healthChecks += 1
                writeThenClose(out)
            } else {
                write(out)
            }
        case .handleNotify(let notify):
            worker.statistics.notifyFrames += 1
            if debug { logger.debug("received \(SPOAFrameLog.describe(notify))") }
            let id = nextJobID
            nextJobID &+= 1
            let job = SPOANotifyJob(notify: notify, worker: worker, allocator: context!.channel.allocator)
            jobs[id] = job
            // In flight from HAProxy's point of view: NOTIFYs being processed or whose ACK is not sent yet.
            worker.statistics.maxInFlight = max(worker.statistics.maxInFlight, jobs.count + unflushedAcks)
            job.start { [self] job in
                jobFinished(id, job)
            }
        case .discardedNotify(let streamID, let frameID):
            worker.statistics.abortedFrames += 1
            if debug { logger.debug("HAProxy aborted the fragmented NOTIFY sid=\(streamID) fid=\(frameID)") }
        case .sendAgentDisconnect(let disconnect, let cause):
            switch cause {
            case .peer(let theirs):
                worker.statistics.peerDisconnects += 1
                if debug { logger.debug("received HAPROXY-DISCONNECT \(theirs)") }
            case .error(let error):
                worker.statistics.protocolErrors += 1
                logger.warning("closing the connection: \(error)")
            case .local:
                break
            }
            cancelJobs()
            var out = context!.channel.allocator.buffer(capacity: 64)
            out.writeSPOPDisconnect(disconnect)
            if debug { logger.debug("sent AGENT-DISCONNECT \(disconnect)") }
            writeThenClose(out)
        }
    }

    private func jobFinished(_ id: Int, _ job: SPOANotifyJob) {
        guard jobs.removeValue(forKey: id) != nil, !closed, let context else { return }
        let notify = job.notify
        var out = context.channel.allocator.buffer(capacity: 16 + job.actions.bytes.readableBytes)
        let mark = out.beginSPOPFrame(.ack, streamID: notify.streamID, frameID: notify.frameID)
        out.writeImmutableBuffer(job.actions.bytes)
        let length = out.finishSPOPFrame(mark)
        var empty = job.failed
        if length > machine.maxFrameSize {
            logger.warning(
                """
                the actions of sid=\(notify.streamID) fid=\(notify.frameID) take \(length) bytes, more than \
                max-frame-size \(machine.maxFrameSize): answering with an empty ACK
                """)
            out.abandonSPOPFrame(mark)
            out.writeSPOPAck(streamID: notify.streamID, frameID: notify.frameID)
            empty = true
        }
        worker.statistics.ackFrames += 1
        if empty { worker.statistics.emptyAcksAfterError += 1 }
        if debug {
            let actions = SPOAFrameLog.describe(empty ? [] : job.actions.actions)
            logger.debug("sent ACK sid=\(notify.streamID) fid=\(notify.frameID) \(actions)")
        }
        if reading { unflushedAcks += 1 }
        write(out)
        if draining {
            finishDrainingIfIdle()
        } else {
            // Room again: decode what is buffered, and read the socket if a read was held back.
            processFrames()
            if readHeld, jobs.count < worker.configuration.maxInFlightPerConnection {
                readHeld = false
                context.read()
            }
        }
    }

    // MARK: Writing and closing

    private func write(_ frame: ByteBuffer) {
        guard let context else { return }
        context.write(wrapOutboundOut(frame), promise: nil)
        if reading {
            needsFlush = true
        } else {
            context.flush()
        }
    }

    private func writeThenClose(_ frame: ByteBuffer) {
        guard let context else { return }
        closed = true
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(frame), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func cancelJobs() {
        let pending = jobs
        jobs = [:]
        for job in pending.values {
            job.cancel()
        }
    }

    // MARK: Graceful shutdown

    /// Stops reading; once the in-flight frames are answered, sends AGENT-DISCONNECT (status 0) and closes.
    func beginDraining() {
        guard !draining else { return }
        draining = true
        // Frames already received are processed; nothing more is read from the socket.
        processFrames()
        finishDrainingIfIdle()
    }

    /// Ends the connection now (the grace period is over): in-flight frames are abandoned.
    func forceDisconnect() {
        guard !closed else { return }
        if let action = machine.close(status: .normal) {
            execute(action)
        } else {
            context?.close(promise: nil)
        }
    }

    private func finishDrainingIfIdle() {
        guard draining, !closed, jobs.isEmpty else { return }
        forceDisconnect()
    }

    // MARK: Debug

    /// Logs the header of the next complete frame in the receive buffer (debug mode only).
    private func logNextFrame() {
        var peek = received
        guard let frame = try? SPOPFrameDecoder(maxFrameSize: Int(UInt32.max)).decode(&peek) else { return }
        logger.debug("received \(SPOAFrameLog.describe(frame))")
    }
}
