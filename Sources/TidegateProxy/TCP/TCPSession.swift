import TidegateConfig
import NIOCore
import TidegateCore

/// One client connection of a TCP frontend. First the request is analysed: `tcp-request content` rules of the
/// frontend, then of the backend, evaluated on the client's bytes as they arrive until they decide or the
/// `tcp-request inspect-delay` expires (HAProxy's content inspection; Lua actions may wait there). Then either a
/// service answers (`use-service`) or a server is picked and the bytes are relayed both ways with backpressure and
/// half-close (a FIN on one side is passed on to the other, and the stream ends when both directions are closed).
/// The backend's `tcp-response content` rules hold the server's bytes the same way until they decide.
final class TCPSession: ChannelDuplexHandler, ServerConnectionDelegate, QueueWakeable, ServiceEndpointOwner {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Which request rules are being evaluated.
    private enum RequestAnalysis {
        case frontendRules, backendRules, done
    }

    let frontend: FrontendRuntime
    let loop: LoopContext
    let stream: StreamContext
    private var context: ChannelHandlerContext!
    private var backend: BackendRuntime?
    private var chosen: Server?
    private var server: ServerConnection?
    private var service: StreamServiceEndpoint<TCPSession>?
    /// The client's bytes while the rules inspect them and until the server connection is up; then the bytes
    /// Lua sends towards the server. `txn.req` in Lua.
    private let requestChannel: ChannelBuffer
    /// The server's bytes while `tcp-response content` rules inspect them; the bytes Lua sends to the client.
    /// `txn.res` in Lua.
    private let responseChannel: ChannelBuffer
    private var requestAnalysis = RequestAnalysis.frontendRules
    /// `tcp-response content` rules have not decided yet: the server's bytes are held.
    private var responseAnalysisPending = false
    /// The rule of the rule set being evaluated whose action waits (Lua); the rules go on from it when woken.
    private var suspendedRule: Int?
    /// The inspect-delay of the rule set being evaluated is running (`inspectExpired` once it ran out).
    private var inspectTimer: Scheduled<Void>?
    private var inspectStarted = false
    private var inspectExpired = false
    /// An analysis pass is running; `analysisNeeded` asks it (or the next call) for another one.
    private var analyzing = false
    private var analysisNeeded = false
    private var clientReadPending = false
    /// Bytes were written to the client since the last flush.
    private var clientNeedsFlush = false
    /// A flush of the client channel is scheduled (service output).
    private var flushScheduled = false
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
        let size = loop.runtime.tuning.bufferSize
        self.requestChannel = ChannelBuffer(capacity: size)
        self.responseChannel = ChannelBuffer(capacity: size)
        stream.samples.requestChannel = requestChannel
        stream.samples.responseChannel = responseChannel
        if stream.samples.scriptHost != nil {
            stream.samples.wake = { [unowned(unsafe) self] in self.analyze() }
        }
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        idleTimeout = frontend.timeouts.client
        armTimer()
        analyze()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        bytesFromClient += UInt64(buffer.readableBytes)
        touch()
        if let server {
            server.write(buffer)
        } else if let service {
            service.deliver(&buffer, ended: false)
        } else {
            requestChannel.input.writeBuffer(&buffer)
            if requestAnalysis != .done { analyze() }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        server?.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        clientWritable = context.channel.isWritable
        if clientWritable {
            server?.resumeReading()
            service?.running?.outputWritable()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        clientInputClosed = true
        requestChannel.inputEnded = true
        if let server {
            server.flush()
            server.shutdownOutput()
        } else if let service {
            service.clientInputEnded()
        } else if requestAnalysis != .done {
            // The rules decide with what came; the FIN is passed on once the server connection is up.
            analyze()
            guard !closed else { return }
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
        stream.samples.wake = nil
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
        if let service { return service.bufferedInput < loop.runtime.tuning.bufferSize }
        return !requestChannel.isFull
    }

    private func resumeClientReading() {
        guard clientReadPending, wantsClientData, !closed else { return }
        clientReadPending = false
        context.read()
    }

    // MARK: - Content inspection

    /// Evaluates the rules that have not decided yet (request rules, or the response rules once the server is
    /// connected), then sends what Lua put in the channels' outputs. Called on each event that may change their
    /// outcome: client or server bytes, a FIN, the inspect-delay's end, a waiting Lua action becoming ready. Calls
    /// made during a pass ask for another pass.
    private func analyze() {
        analysisNeeded = true
        guard !analyzing else { return }
        analyzing = true
        defer { analyzing = false }
        while analysisNeeded && !closed {
            analysisNeeded = false
            if requestAnalysis != .done {
                analyzeRequest()
            } else if responseAnalysisPending {
                analyzeResponse()
            }
            guard !closed else { return }
            sendChannelOutputs()
        }
    }

    /// `tcp-request content` rules: the frontend's, then the backend's once `use_backend` chose it.
    private func analyzeRequest() {
        while requestAnalysis != .done {
            let rules: ProxyRules
            switch requestAnalysis {
            case .frontendRules: rules = frontend.rules
            case .backendRules: rules = backend?.rules ?? frontend.rules
            case .done: return
            }
            let verdict: TCPRuleVerdict =
                rules.tcpContent.isEmpty
                ? .accept
                : evaluate(rules.tcpContent, delay: rules.tcpRequestInspectDelay, on: requestChannel)
            switch verdict {
            case .accept:
                guard advanceRequestAnalysis() else { return }
            case .wait, .suspend:
                return
            case .useService(let external):
                requestAnalysis = .done
                startService(external)
                return
            case .reject, .abort, .error:
                end(verdict, "R")
                return
            }
        }
    }

    /// The request rules of one proxy accepted: choose the backend after the frontend's rules, then the server.
    /// False when the stream ended.
    private func advanceRequestAnalysis() -> Bool {
        switch requestAnalysis {
        case .frontendRules:
            guard let backend = frontend.rules.selectBackend(stream: stream, default: frontend.defaultBackend) else {
                terminate("P", "C")
                close()
                return false
            }
            self.backend = backend
            stream.backendName = backend.name
            requestAnalysis = backend.proxyID != frontend.proxyID ? .backendRules : .done
        case .backendRules, .done:
            requestAnalysis = .done
        }
        guard requestAnalysis == .done else { return true }
        if clientInputClosed && requestChannel.input.readableBytes == 0 && requestChannel.output.readableBytes == 0 {
            // The client left without sending anything while the rules inspected: no server to bother.
            terminate("C", "R")
            close()
            return false
        }
        assignServer(avoiding: nil)
        return !closed
    }

    /// The backend's `tcp-response content` rules, on the server's bytes held so far.
    private func analyzeResponse() {
        guard let backend else { return }
        stream.samples.direction = .response
        let rules = backend.rules
        let verdict = evaluate(rules.tcpResponseContent, delay: rules.tcpResponseInspectDelay, on: responseChannel)
        switch verdict {
        case .accept, .useService:
            responseAnalysisPending = false
            let held = responseChannel.take(all: true)
            if held.readableBytes > 0 { writeToClient(held) }
            if serverInputClosed {
                serverFinished()
            } else {
                server?.resumeReading()
            }
        case .wait, .suspend:
            return
        case .reject, .abort, .error:
            end(verdict, "D")
        }
    }

    /// The rules closed the stream. `act.ABORT` and `txn:done()` let what Lua sent to the client go first (HAProxy
    /// shuts the response down after its data); a rejection or an error kills the connection.
    private func end(_ verdict: TCPRuleVerdict, _ phase: Character) {
        if case .abort = verdict, responseChannel.output.readableBytes > 0 {
            let bytes = responseChannel.take(all: false)
            bytesToClient += UInt64(bytes.readableBytes)
            writeToClient(bytes)
        }
        terminate(verdict.isInternalError ? "I" : "P", phase)
        close()
    }

    /// One evaluation of a content rule set on `channel` (HAProxy's `tcp_inspect_request` / `_response`). Without
    /// an inspect-delay, or once it expired, the evaluation is final: conditions decide on what is there and
    /// actions cannot wait. A full or closed channel makes the samples final too, but actions may still wait.
    private func evaluate(_ rules: TCPRuleSet, delay: TimeAmount?, on channel: ChannelBuffer) -> TCPRuleVerdict {
        if let delay, !inspectStarted {
            inspectStarted = true
            inspectTimer = loop.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
                inspectTimer = nil
                guard !closed else { return }
                inspectExpired = true
                analyze()
            }
        }
        let final = delay == nil || inspectExpired
        requestChannel.isFinal = final
        responseChannel.isFinal = final
        // Lua readers waiting for data look again now (a wake they cause does not call for another pass).
        requestChannel.changed()
        responseChannel.changed()
        analysisNeeded = false
        let samples = stream.samples
        samples.contentFinal = final || channel.inputEnded || channel.isFull
        let resumeAt = suspendedRule
        suspendedRule = nil
        let verdict = rules.apply(in: samples, from: resumeAt ?? 0, resuming: resumeAt != nil, final: final)
        samples.contentFinal = true
        switch verdict {
        case .suspend(let index):
            suspendedRule = index
        case .wait:
            break
        default:
            inspectTimer?.cancel()
            inspectTimer = nil
            inspectStarted = false
            inspectExpired = false
        }
        return verdict
    }

    /// Sends what Lua forwarded or injected: the response channel's output to the client, the request channel's to
    /// the server once connected.
    private func sendChannelOutputs() {
        if responseChannel.output.readableBytes > 0 {
            let bytes = responseChannel.take(all: false)
            bytesToClient += UInt64(bytes.readableBytes)
            writeToClient(bytes)
        }
        if let server, requestChannel.output.readableBytes > 0 {
            server.write(requestChannel.take(all: false))
            server.flush()
        }
        flushClient()
        resumeClientReading()
    }

    // MARK: - Services

    /// `tcp-request content use-service`: the service answers the client instead of a server.
    private func startService(_ external: any ExternalService) {
        let endpoint = StreamServiceEndpoint(session: self, requestFraming: nil)
        service = endpoint
        stream.serverName = "<lua.\(external.name)>"
        connectedAt = .now()
        var input = requestChannel.take(all: true)
        endpoint.deliver(&input, ended: clientInputClosed)
        let running = external.start(in: stream.samples, io: endpoint)
        if closed {
            running.cancel()
        } else {
            endpoint.running = running
        }
    }

    /// Bytes the service sends (from inside its Lua code: the flush waits for the next turn of the loop, so that a
    /// write error closing the channel cannot tear the stream down under the running code).
    func serviceDidWrite(_ endpoint: StreamServiceEndpoint<TCPSession>, _ bytes: ByteBuffer) {
        guard endpoint === service, !closed else { return }
        bytesToClient += UInt64(bytes.readableBytes)
        touch()
        writeToClient(bytes)
        guard !flushScheduled else { return }
        flushScheduled = true
        loop.eventLoop.assumeIsolated().execute { [self] in
            flushScheduled = false
            flushClient()
        }
    }

    /// The service returned (or failed): the connection closes once its output is sent.
    func serviceDidFinish(_ endpoint: StreamServiceEndpoint<TCPSession>) {
        guard endpoint === service else { return }
        flushClient()
        close()
    }

    func serviceDidTakeInput(_ endpoint: StreamServiceEndpoint<TCPSession>) {
        resumeClientReading()
    }

    var isClientWritable: Bool { clientWritable }

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
        let address = target.currentAddress
        loop.connect(to: address, timeout: backend.timeouts.connect) { channel in
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
                session.attach(
                    session.loop.pool.adopt(channel: channel, server: target, address: address, handler: handler))
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
        let pending = requestChannel.take(all: true)
        if pending.readableBytes > 0 { connection.write(pending) }
        connection.flush()
        if clientInputClosed { connection.shutdownOutput() }
        if let backend, !backend.rules.tcpResponseContent.isEmpty {
            // HAProxy runs the response rules as soon as the connection is established, then on each read.
            responseAnalysisPending = true
            analyze()
            guard !closed else { return }
        }
        connection.resumeReading()
        resumeClientReading()
    }

    // MARK: - ServerConnectionDelegate

    var wantsServerData: Bool {
        !closed && clientWritable && !(responseAnalysisPending && responseChannel.isFull)
    }

    func serverConnection(_ connection: ServerConnection, didRead buffer: ByteBuffer) {
        guard connection === server else { return }
        bytesToClient += UInt64(buffer.readableBytes)
        touch()
        if responseAnalysisPending {
            var buffer = buffer
            responseChannel.input.writeBuffer(&buffer)
            analyze()
        } else {
            writeToClient(buffer)
        }
    }

    func serverConnectionReadComplete(_ connection: ServerConnection) {
        flushClient()
    }

    func serverConnectionWritabilityChanged(_ connection: ServerConnection) {
        if connection.isWritable { resumeClientReading() }
    }

    func serverConnectionInputClosed(_ connection: ServerConnection) {
        serverInputClosed = true
        responseChannel.inputEnded = true
        if responseAnalysisPending {
            // Passed on to the client once the response rules decided.
            analyze()
            return
        }
        serverFinished()
    }

    /// The server sent its FIN and everything before it reached the client: pass it on.
    private func serverFinished() {
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
        if let service {
            self.service = nil
            service.cancel()
        }
        inspectTimer?.cancel()
        inspectTimer = nil
        // Lua code of the stream stops; readers still waiting on the channels are released.
        stream.samples.endScriptState()
        for channel in [requestChannel, responseChannel] {
            channel.inputEnded = true
            channel.isFinal = true
            channel.changed()
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
            } else if requestAnalysis != .done {
                terminate("c", "R")
            } else if server == nil && service == nil {
                terminate("s", "C")
            } else {
                terminate("c", "D")
            }
            close()
        }
    }
}

extension TCPRuleVerdict {
    /// An internal error (HAProxy's `SF_ERR_INTERNAL`, `I` in the termination state) rather than a proxy decision.
    fileprivate var isInternalError: Bool {
        if case .error = self { return true }
        return false
    }
}
