import TidegateConfig
import NIOCore
import TidegateCore
import TidegateHTTP

/// One client connection of an HTTP frontend: parses requests, applies rules, picks a backend and
/// a server, and forwards heads and bodies both ways with backpressure. The server side of the
/// stream is a `ServerConnection` on the same event loop; this object is its delegate.
///
/// Requests are handled one at a time; pipelined requests wait in `inbound` until the previous
/// response is complete, so responses go out in order.
final class HTTPSession: ChannelDuplexHandler, ServerConnectionDelegate, QueueWakeable, SoftStoppable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        /// Waiting for (the rest of) a request head.
        case waitingRequest
        /// A transaction is in progress.
        case active
        /// After a 101 response: bytes are relayed both ways unchanged.
        case tunnel
        /// Closing: input is ignored.
        case closing
    }

    private enum TimerKind {
        case requestHead, keepAlive, clientIdle, serverIdle, queue, tunnel
    }

    let frontend: FrontendRuntime
    let loop: LoopContext
    let stream: StreamContext
    private var context: ChannelHandlerContext!
    private var phase = Phase.waitingRequest
    private var inbound = HTTPSession.emptyBuffer
    private var serverInbound = HTTPSession.emptyBuffer
    /// Assigned to a fully consumed receive buffer so its storage goes back to NIO's pool.
    private static let emptyBuffer = ByteBuffer()
    private var parser: HTTPHeadParser
    private var responseParser: HTTPHeadParser
    private var txn: HTTPTransaction?
    private var server: ServerConnection?
    /// The service answering the current request (`use-service`), instead of a server.
    private var service: ServiceEndpoint?
    /// Request rules waiting for a suspended action (Lua): where to go on when the engine wakes the stream.
    private var suspendedRequestRules: (backendRules: Bool, index: Int)?
    /// Response rules waiting for a suspended action: where to go on, and the parsed head's framing and bytes.
    private var suspendedResponseRules: SuspendedResponse?
    /// The server (or service) ended its output while response rules were waiting: handled when they are done.
    private var upstreamEndedDuringAnalysis = false
    /// A flush of the client channel is scheduled (writes made outside a channel event, e.g. by a Lua timer).
    private var flushScheduled = false
    private var clientReadPending = false
    /// `process()` is running (see there).
    private var processing = false
    /// `close()` was called (it waits for pending writes before closing the channel).
    private var closeRequested = false
    /// Bytes were written to the client since the last flush (a flush is a pipeline traversal).
    private var clientNeedsFlush = false
    /// Writability of the client channel, as last reported (asking the channel costs on every event).
    private var clientWritable = true
    private var clientInputClosed = false
    private var requestsHandled = 0
    private var timer = SessionTimer()

    /// The current request head. It lives in the sample context, so rules and fetches read and
    /// edit it in place (one copy, no copy-on-write).
    private var request: HTTPHead {
        _read { yield stream.samples.request! }
        _modify { yield &stream.samples.request! }
    }

    /// The single timer of a session, re-armed lazily: moving a deadline later costs nothing until it fires.
    private struct SessionTimer {
        var kind: TimerKind = .requestHead
        var duration: TimeAmount?
        var deadline: NIODeadline?
        var scheduledFor: NIODeadline?
        var task: Scheduled<Void>?

        mutating func cancel() {
            task?.cancel()
            task = nil
            scheduledFor = nil
            deadline = nil
        }
    }
    private var queueTicket: QueueTicket?
    private var connectGeneration = 0
    private var lastActivity: NIODeadline
    /// The time of the event being handled, read once per event (timestamps and timers use it).
    private var eventTime: NIODeadline
    /// When the first byte of the request being read arrived.
    private var requestStartedAt: NIODeadline?

    init(frontend: FrontendRuntime, loop: LoopContext, stream: StreamContext) {
        self.frontend = frontend
        self.loop = loop
        self.stream = stream
        let tuning = loop.runtime.tuning
        self.parser = HTTPHeadParser(maxHeadSize: tuning.maxHeadSize, maxFields: tuning.maxHeaderFields)
        self.responseParser = HTTPHeadParser(maxHeadSize: tuning.maxHeadSize, maxFields: tuning.maxHeaderFields)
        self.lastActivity = stream.acceptedAt
        self.eventTime = stream.acceptedAt
        if stream.samples.scriptHost != nil {
            stream.samples.wake = { [unowned(unsafe) self] in self.scriptWake() }
        }
    }

    // MARK: - Client channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loop.register(self)
    }

    func softStop() {
        if phase == .waitingRequest && inbound.readableBytes == 0 { close() }
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer(.requestHead, frontend.timeouts.httpRequest ?? frontend.timeouts.client)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        eventTime = .now()
        switch phase {
        case .closing:
            return
        case .tunnel:
            touchTimer()
            if let server { server.write(buffer) }
            return
        case .waitingRequest, .active:
            if phase == .waitingRequest && requestStartedAt == nil { requestStartedAt = eventTime }
            if inbound.readableBytes == 0 {
                inbound = buffer
            } else {
                inbound.writeBuffer(&buffer)
            }
            // Bytes that come while the rules already wait are an event for them (not those that started them).
            let rulesWaiting = suspendedRequestRules != nil || suspendedResponseRules != nil
            process()
            if inbound.readableBytes == 0 { inbound = Self.emptyBuffer }
            if rulesWaiting { scriptEvent() }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        server?.flush()
        flushClient()
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
        switch phase {
        case .waitingRequest:
            if inbound.readableBytes > 0 && requestsHandled == 0 {
                // A truncated request head: logged as a bad request closed by the client (`CR`).
                logPrematureClose()
            }
            close()
        case .active:
            // Finish the response, then close; a request body cut short aborts the exchange.
            if let current = txn, !current.requestBody.isComplete {
                current.terminate("C", "D")
                abortTransaction()
                close()
            } else {
                txn?.closeClientAfter = true
            }
            service?.clientInputEnded()
        case .tunnel:
            server?.shutdownOutput()
        case .closing:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if phase == .active || phase == .tunnel {
            txn?.terminate("C", "D")
            abortTransaction()
        }
        phase = .closing
        timer.cancel()
        dropService()
        stream.samples.endScriptState()
        stream.samples.wake = nil
        stream.listener?.connectionClosed()
        frontend.connectionClosed()
        loop.runtime.connectionClosed()
        loop.unregister(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Connection reset and similar: the channel closes; cleanup happens in channelInactive.
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if wantsClientData {
            context.read()
        } else {
            clientReadPending = true
        }
    }

    /// Whether more client bytes are useful now.
    private var wantsClientData: Bool {
        switch phase {
        case .waitingRequest: return true
        case .active:
            // Keep reading while a transaction runs (it keeps the socket armed and sees closes early);
            // the bytes wait in `inbound`, bounded by one buffer, unless they are body for a writable server.
            guard let txn, !txn.requestBody.isComplete, let server else {
                return inbound.readableBytes < loop.runtime.tuning.bufferSize
            }
            return server.isWritable
        case .tunnel: return server?.isWritable ?? false
        case .closing: return false
        }
    }

    private func resumeClientReading() {
        guard clientReadPending, wantsClientData else { return }
        clientReadPending = false
        context.read()
    }

    // MARK: - Request side

    /// Consumes buffered client bytes as far as the current state allows. Not re-entered: a
    /// transaction that ends while the loop runs (a local response to a pipelined request) just
    /// lets the loop go on, so a burst of pipelined requests never deepens the stack.
    private func process() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while true {
            switch phase {
            case .waitingRequest:
                guard inbound.readableBytes > 0 else {
                    resumeClientReading()
                    return
                }
                if timer.kind == .keepAlive {
                    armTimer(.requestHead, frontend.timeouts.httpRequest ?? frontend.timeouts.client)
                }
                let head: HTTPHead?
                do {
                    head = try parser.parse(&inbound, kind: .request)
                } catch {
                    rejectRequest(status: 400, reason: error)
                    return
                }
                guard let head else {
                    resumeClientReading()
                    return
                }
                beginTransaction(head)
            case .active:
                forwardRequestBody()
                if phase == .active { return }
            case .tunnel, .closing:
                return
            }
        }
    }

    private func beginTransaction(_ head: HTTPHead) {
        var head = head
        let framing: HTTPBodyFraming
        do {
            framing = try head.requestFraming()
        } catch {
            rejectRequest(status: 400, reason: error)
            return
        }
        requestsHandled += 1
        phase = .active
        let acceptedAt = requestsHandled == 1 ? stream.acceptedAt : lastActivity
        let transaction = HTTPTransaction(
            request: head, framing: framing, acceptedAt: acceptedAt, requestStartedAt: requestStartedAt ?? eventTime, now: eventTime)
        requestStartedAt = inbound.readableBytes > 0 ? eventTime : nil
        if frontend.log != nil {
            transaction.requestLine = "\(head.method) \(head.target) \(head.versionString)"
        }
        transaction.bytesFromClient = UInt64(head.receivedLength)
        let options = head.connectionOptions
        if options.close || frontend.connectionMode == .close || loop.runtime.isStopping {
            transaction.closeClientAfter = true
        }
        txn = transaction
        stream.beginTransaction(request: consume head)

        // tcp-request content, frontend http-request rules, backend selection, backend rules (HAProxy's order).
        guard frontend.rules.acceptContent(stream: stream) else {
            txn!.terminate("P", "R")
            abortTransaction()
            close()
            return
        }
        armTimer(.clientIdle, frontend.timeouts.client)
        analyzeRequest(backendRules: false, from: 0, resuming: false)
    }

    /// Request rules (frontend, then backend after `use_backend`), then the server. Rules that suspend (a Lua
    /// action waiting) are taken up again from `scriptWake()`.
    private func analyzeRequest(backendRules: Bool, from start: Int, resuming: Bool) {
        if !backendRules {
            guard handleRequestVerdict(
                frontend.rules.applyHTTPRequest(stream: stream, from: start, resuming: resuming), backendRules: false)
            else { return }
            guard let backend = frontend.rules.selectBackend(stream: stream, default: frontend.defaultBackend) else {
                txn!.terminate("P", "R")
                respondLocally(.error(503))
                return
            }
            txn!.backend = backend
            stream.backendName = backend.name
            if backend.proxyID != frontend.proxyID {
                analyzeRequest(backendRules: true, from: 0, resuming: false)
                return
            }
        } else {
            guard let backend = txn?.backend,
                handleRequestVerdict(
                    backend.rules.applyHTTPRequest(stream: stream, from: start, resuming: resuming), backendRules: true)
            else { return }
        }
        guard let backend = txn?.backend else { return }
        prepareRequestForServer(backend)
        assignServer(avoiding: nil)
    }

    /// Acts on a request rule set's verdict; true to go on.
    private func handleRequestVerdict(_ verdict: RuleVerdict, backendRules: Bool) -> Bool {
        switch verdict {
        case .proceed:
            return true
        case .respond(let response):
            respondLocally(response)
        case .suspend(let index):
            suspendedRequestRules = (backendRules, index)
        case .abort:
            txn?.terminate("P", "R")
            abortTransaction()
            close()
        case .useService(let service):
            startService(service)
        }
        return false
    }

    /// The script engine can go on with a suspended action.
    private func scriptWake() {
        guard phase == .active else { return }
        if let pending = suspendedRequestRules {
            suspendedRequestRules = nil
            eventTime = .now()
            analyzeRequest(backendRules: pending.backendRules, from: pending.index, resuming: true)
        } else if let pending = suspendedResponseRules {
            suspendedResponseRules = nil
            eventTime = .now()
            resumeResponseAnalysis(pending)
            if clientWritable { server?.resumeReading() }
        } else {
            return
        }
        if let server { server.flush() }
        flushClient()
    }

    /// Client or server bytes came while the rules wait for a script: a stream event (HAProxy wakes the stream),
    /// which ends a Lua `core.wait()` and runs again an action that returned `act.YIELD`.
    private func scriptEvent() {
        guard phase == .active, suspendedRequestRules != nil || suspendedResponseRules != nil else { return }
        scriptWake()
    }

    // MARK: - Services

    private func startService(_ external: any ExternalService) {
        guard let transaction = txn else { return }
        let endpoint = ServiceEndpoint(session: self, requestFraming: transaction.requestFraming)
        service = endpoint
        transaction.serverPhase = .waitingResponse
        transaction.requestHeadSent = true
        transaction.connectedAt = eventTime
        stream.serverName = "<lua.\(external.name)>"
        passBodyToService()
        endpoint.running = external.start(in: stream.samples, io: endpoint)
    }

    /// Moves buffered request body bytes to the service.
    private func passBodyToService() {
        guard let endpoint = service, let transaction = txn else { return }
        var body = ByteBuffer()
        while !transaction.requestBody.isComplete {
            do {
                guard var slice = try transaction.requestBody.take(from: &inbound) else { break }
                transaction.bytesFromClient += UInt64(slice.readableBytes)
                body.writeBuffer(&slice)
            } catch {
                transaction.terminate("P", "D")
                abortTransaction()
                close()
                return
            }
        }
        endpoint.deliver(&body, ended: transaction.requestBody.isComplete)
        if !transaction.requestBody.isComplete {
            touchTimer()
            resumeClientReading()
        }
    }

    var isClientWritable: Bool { clientWritable }

    /// Bytes from the service: handled like a server's response.
    func serviceDidWrite(_ endpoint: ServiceEndpoint, _ bytes: ByteBuffer) {
        guard endpoint === service else { return }
        handleUpstreamBytes(bytes)
        scheduleFlush()
    }

    /// The service completed its output. A response it left incomplete is cut.
    func serviceDidFinish(_ endpoint: ServiceEndpoint) {
        guard endpoint === service, let transaction = txn else { return }
        switch transaction.serverPhase {
        case .analyzingResponse:
            upstreamEndedDuringAnalysis = true
        case .waitingResponse, .responseBody:
            if transaction.responseBody.isUntilClose {
                transaction.responseBody = .empty
                responseComplete()
            } else {
                transaction.terminate("S", "D")
                abortTransaction()
                close()
            }
        default:
            break
        }
        scheduleFlush()
    }

    private func dropService() {
        if let endpoint = service {
            service = nil
            endpoint.cancel()
        }
    }

    /// Flushes after writes made outside a channel event (a channel read flushes at its end).
    private func scheduleFlush() {
        guard !processing, !flushScheduled, clientNeedsFlush else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            flushScheduled = false
            flushClient()
        }
    }

    /// Connection-level rewrites of the request before it goes to the server.
    private func prepareRequestForServer(_ backend: BackendRuntime) {
        guard let transaction = txn else { return }
        if let forwardFor = backend.forwardFor ?? frontend.forwardFor, let client = stream.clientAddress,
            let clientIP = client.ipAddress
        {
            if !forwardFor.ifNone || request.firstIndex(named: forwardFor.headerName) == nil,
                !forwardFor.excludes(client)
            {
                request.add(name: forwardFor.headerName, value: clientIP)
            }
        }
        let options = request.connectionOptions
        if !options.upgrade {
            let serverClose = backend.connectionMode != .keepAlive || frontend.connectionMode == .serverClose
                || frontend.connectionMode == .close
            if serverClose {
                if !options.close || request.firstIndex(named: "connection") == nil {
                    request.set(name: "Connection", value: "close")
                }
            } else if request.firstIndex(named: "connection") != nil {
                // The server side is kept alive whatever the client asked (HAProxy manages both sides apart).
                request.remove(named: "connection")
                if request.versionMinor == 0 {
                    request.add(name: "Connection", value: "keep-alive")
                }
            } else if request.versionMinor == 0 {
                request.add(name: "Connection", value: "keep-alive")
            }
        }
        txn = transaction
    }

    /// Picks a server (balancing, queueing, retries) and gets a connection to it.
    private func assignServer(avoiding: Server?) {
        guard let transaction = txn, let backend = transaction.backend else { return }
        let hashInput = hashInput(for: backend)
        switch loop.selectServer(backend, hashInput: hashInput, avoiding: avoiding) {
        case .unavailable:
            transaction.terminate("s", "C")
            txn = transaction
            respondLocally(.error(503))
        case .allFull:
            transaction.serverPhase = .queued
            if transaction.queuedAt == nil { transaction.queuedAt = .now() }
            txn = transaction
            let ticket = QueueTicket(session: self, eventLoop: loop.eventLoop, queue: backend.backend.queue)
            queueTicket = ticket
            backend.backend.queue.enqueue(ticket)
            armTimer(.queue, backend.timeouts.queue ?? backend.timeouts.connect)
        case .server(let chosen):
            transaction.server = chosen
            stream.serverName = chosen.name
            transaction.attempts += 1
            if let idle = loop.pool.take(for: chosen) {
                transaction.reusedConnection = true
                txn = transaction
                attach(idle)
            } else {
                transaction.reusedConnection = false
                transaction.serverPhase = .connecting
                transaction.connectStartedAt = .now()
                txn = transaction
                connect(to: chosen, backend: backend)
            }
        }
    }

    /// Woken from the backend queue: a slot may be free.
    func queueWake() {
        eventTime = .now()
        guard phase == .active, let transaction = txn, transaction.serverPhase == .queued,
            let backend = transaction.backend
        else {
            return
        }
        queueTicket = nil
        switch loop.selectServer(backend, hashInput: hashInput(for: backend), avoiding: nil) {
        case .allFull:
            let ticket = QueueTicket(session: self, eventLoop: loop.eventLoop, queue: backend.backend.queue)
            queueTicket = ticket
            backend.backend.queue.requeueFirst(ticket)
        case .unavailable:
            txn!.terminate("s", "Q")
            respondLocally(.error(503))
        case .server(let chosen):
            txn!.server = chosen
            stream.serverName = chosen.name
            txn!.attempts += 1
            if let idle = loop.pool.take(for: chosen) {
                txn!.reusedConnection = true
                attach(idle)
            } else {
                txn!.serverPhase = .connecting
                txn!.connectStartedAt = .now()
                connect(to: chosen, backend: backend)
            }
        }
    }

    private func hashInput(for backend: BackendRuntime) -> BalancerState.HashInput {
        guard backend.backend.algorithm.isHashBased, txn != nil, let request = stream.samples.request else { return .init(nil) }
        switch backend.backend.algorithm {
        case .source:
            return .init(stream.clientAddress?.addressBytes)
        case .uri(let options):
            var text = options.whole ? request.target : request.path
            let depth = options.depth ?? 0
            let length = options.length ?? 0
            if depth > 0 {
                var slashes = 0
                if let cut = text.firstIndex(where: { c in
                    if c == "/" { slashes += 1 }
                    return slashes > depth
                }) {
                    text = String(text[..<cut])
                }
            }
            if length > 0 { text = String(text.prefix(length)) }
            return .init(Array(text.utf8))
        case .urlParameter(let name, _):
            guard let query = request.query else { return .init(nil) }
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.first.map(String.init) == name { return .init(Array((parts.count > 1 ? parts[1] : "").utf8)) }
            }
            return .init(nil)
        case .header(let name, let domainOnly):
            guard var value = request.firstValue(named: name) else { return .init(nil) }
            if domainOnly {
                value = String(value.split(separator: ":").first ?? "")
                let labels = value.split(separator: ".")
                if labels.count >= 2 { value = labels.suffix(2).joined(separator: ".") }
            }
            return .init(Array(value.utf8))
        default:
            return .init(nil)
        }
    }

    private func connect(to chosen: Server, backend: BackendRuntime) {
        connectGeneration &+= 1
        let generation = connectGeneration
        let loopBound = NIOLoopBound(self, eventLoop: loop.eventLoop)
        let address = chosen.currentAddress
        loop.connect(to: address, timeout: backend.timeouts.connect) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ServerSideHandler())
            }
        }.whenComplete { result in
            let session = loopBound.value
            switch result {
            case .success(let channel):
                guard session.connectGeneration == generation, session.phase == .active,
                    session.txn?.serverPhase == .connecting,
                    let handler = try? channel.pipeline.syncOperations.handler(type: ServerSideHandler.self)
                else {
                    channel.close(promise: nil)
                    return
                }
                session.eventTime = .now()
                session.txn?.connectedAt = session.eventTime
                session.attach(
                    session.loop.pool.adopt(channel: channel, server: chosen, address: address, handler: handler))
            case .failure:
                guard session.connectGeneration == generation, session.phase == .active,
                    session.txn?.serverPhase == .connecting
                else { return }
                session.eventTime = .now()
                session.connectFailed(chosen, backend: backend)
            }
        }
    }

    private func connectFailed(_ failed: Server, backend: BackendRuntime) {
        releaseServerSlot()
        guard let transaction = txn else { return }
        if transaction.attempts <= backend.retries {
            // HAProxy retries the same server, and redispatches the last retry with `option redispatch`.
            let redispatch = backend.redispatch && transaction.attempts == backend.retries
            if !redispatch && failed.isUsable && failed.tryAcquireSlot() {
                transaction.server = failed
                transaction.attempts += 1
                transaction.connectStartedAt = .now()
                connect(to: failed, backend: backend)
            } else {
                assignServer(avoiding: failed)
            }
        } else {
            txn!.terminate("S", "C")
            respondLocally(.error(503))
        }
    }

    /// Starts using `connection` for the current transaction: sends the head and what body is buffered.
    private func attach(_ connection: ServerConnection) {
        guard let transaction = txn else {
            connection.close()
            return
        }
        server = connection
        connection.delegate = self
        transaction.serverPhase = .waitingResponse
        if transaction.connectedAt == nil { transaction.connectedAt = eventTime }
        let head = request.serialized(allocator: connection.channel.allocator)
        transaction.requestHeadSent = true
        txn = transaction
        connection.write(head)
        forwardRequestBody()
        connection.flush()
        if txn?.requestBody.isComplete ?? false {
            armTimer(.serverIdle, txn?.backend?.timeouts.server)
        }
        connection.resumeReading()
    }

    /// Moves buffered request body bytes to the server.
    private func forwardRequestBody() {
        guard phase == .active, let transaction = txn else { return }
        if service != nil {
            passBodyToService()
            return
        }
        guard let server, transaction.requestHeadSent else {
            if !transaction.requestBody.isComplete { resumeClientReading() }
            return
        }
        var wrote = false
        while !transaction.requestBody.isComplete {
            let slice: ByteBuffer?
            do {
                slice = try transaction.requestBody.take(from: &inbound)
            } catch {
                txn = transaction
                txn!.terminate("P", "D")
                abortTransaction()
                close()
                return
            }
            guard let slice else { break }
            transaction.bytesFromClient += UInt64(slice.readableBytes)
            server.write(slice)
            wrote = true
        }
        let completedNow = wrote && transaction.requestBody.isComplete
        txn = transaction
        if completedNow {
            server.flush()
            armTimer(.serverIdle, transaction.backend?.timeouts.server)
            if transaction.serverPhase == .done { finishTransaction() }
            return
        }
        if !transaction.requestBody.isComplete {
            touchTimer()
            resumeClientReading()
        }
    }

    // MARK: - Server side (ServerConnectionDelegate)

    var wantsServerData: Bool {
        guard phase == .active || phase == .tunnel else { return false }
        // While response rules wait for a script, keep at most a buffer's worth of what follows the head.
        if suspendedResponseRules != nil && serverInbound.readableBytes >= Self.analysisBufferLimit { return false }
        return clientWritable
    }

    /// Bytes of the server's response kept while `http-response` rules wait (HAProxy's buffer size).
    private static let analysisBufferLimit = 16 * 1024

    func serverConnection(_ connection: ServerConnection, didRead buffer: ByteBuffer) {
        guard connection === server else { return }
        eventTime = .now()
        handleUpstreamBytes(buffer)
    }

    /// Bytes from the server side (a server connection or a service).
    private func handleUpstreamBytes(_ buffer: ByteBuffer) {
        var buffer = buffer
        touchTimer()
        if phase == .tunnel {
            writeToClient(buffer)
            return
        }
        guard let transaction = txn else { return }
        switch transaction.serverPhase {
        case .waitingResponse:
            if serverInbound.readableBytes == 0 {
                serverInbound = buffer
            } else {
                serverInbound.writeBuffer(&buffer)
            }
            parseResponseHeads()
        case .analyzingResponse:
            if serverInbound.readableBytes == 0 {
                serverInbound = buffer
            } else {
                serverInbound.writeBuffer(&buffer)
            }
            scriptEvent()
        case .responseBody:
            do {
                if let slice = try transaction.responseBody.take(from: &buffer) {
                    transaction.bytesToClient += UInt64(slice.readableBytes)
                    writeToClient(slice)
                }
            } catch {
                txn = transaction
                txn!.terminate("S", "D")
                abortTransaction()
                close()
                return
            }
            txn = transaction
            if transaction.responseBody.isComplete {
                if buffer.readableBytes > 0 { markServerNotReusable() }
                responseComplete()
            }
        default:
            // Bytes while no response is expected: the server is misbehaving; drop the connection.
            markServerNotReusable()
        }
    }

    /// Acts on a response rule set's verdict; true to go on. (A waiting action is handled by `runResponseRules`.)
    private func handleResponseVerdict(_ verdict: RuleVerdict) -> Bool {
        switch verdict {
        case .proceed:
            return true
        case .respond(let local):
            markServerNotReusable()
            respondLocally(local)
        case .suspend:
            return true
        case .abort:
            txn?.terminate("P", "H")
            abortTransaction()
            close()
        case .useService:
            return true
        }
        return false
    }

    /// Parses response heads from `serverInbound`: interim 1xx are forwarded, then the final one.
    private func parseResponseHeads() {
        while let transaction = txn, transaction.serverPhase == .waitingResponse {
            let parsed: HTTPHead?
            // The bytes as they stand before the head is consumed (shared storage, no copy): an
            // unedited head and the body bytes after it can then leave as one slice.
            let beforeHead = serverInbound
            do {
                parsed = try responseParser.parse(&serverInbound, kind: .response)
            } catch {
                transaction.terminate("S", "H")
                txn = transaction
                markServerNotReusable()
                respondLocally(.error(502))
                return
            }
            guard var head = parsed else { return }
            transaction.responseHeadAt = eventTime
            if head.status >= 100 && head.status < 200 && head.status != 101 {
                // Interim response (100 Continue, 103 Early Hints): forward and keep waiting.
                var out = context.channel.allocator.buffer(capacity: head.receivedLength)
                head.write(to: &out)
                transaction.bytesToClient += UInt64(out.readableBytes)
                txn = transaction
                writeToClient(out)
                continue
            }
            let framing: HTTPBodyFraming
            do {
                framing = try head.responseFraming(isHeadRequest: transaction.isHeadRequest)
            } catch {
                transaction.terminate("S", "H")
                txn = transaction
                markServerNotReusable()
                respondLocally(.error(502))
                return
            }
            transaction.status = head.status
            txn = transaction
            stream.samples.response = consume head
            stream.samples.direction = .response
            // `req.*` variables live while the request is processed (HAProxy's scopes).
            stream.samples.variables.endRequest()
            // Response rules: backend first, then frontend. An action may wait (Lua): taken up in `scriptWake()`.
            let analysis = SuspendedResponse(stage: .backend, index: 0, framing: framing, beforeHead: beforeHead)
            guard runResponseRules(analysis, resuming: false) else { return }
            forwardResponseHead(transaction, framing: framing, beforeHead: beforeHead)
            return
        }
    }

    /// Where response rules stopped for a waiting action.
    private struct SuspendedResponse {
        enum Stage { case backend, frontend }
        var stage: Stage
        var index: Int
        let framing: HTTPBodyFraming
        /// The server's bytes as they stood before the head was parsed (see `parseResponseHeads`).
        let beforeHead: ByteBuffer
    }

    /// Runs the `http-response` rules from `analysis`' position; true when the head may go on.
    private func runResponseRules(_ analysis: SuspendedResponse, resuming: Bool) -> Bool {
        guard let transaction = txn, let backend = transaction.backend else { return true }
        var analysis = analysis
        var resuming = resuming
        while true {
            let rules: ProxyRules
            switch analysis.stage {
            case .backend:
                rules = backend.rules
            case .frontend:
                guard backend.proxyID != frontend.proxyID else { return true }
                rules = frontend.rules
            }
            let verdict = rules.applyHTTPResponse(stream: stream, from: analysis.index, resuming: resuming)
            if case .suspend(let index) = verdict {
                analysis.index = index
                suspendedResponseRules = analysis
                transaction.serverPhase = .analyzingResponse
                return false
            }
            guard handleResponseVerdict(verdict) else { return false }
            guard analysis.stage == .backend else { return true }
            analysis = SuspendedResponse(
                stage: .frontend, index: 0, framing: analysis.framing, beforeHead: analysis.beforeHead)
            resuming = false
        }
    }

    /// A waiting response action is done: finish the rules, send the head, then what came meanwhile.
    private func resumeResponseAnalysis(_ analysis: SuspendedResponse) {
        guard let transaction = txn, transaction.serverPhase == .analyzingResponse else { return }
        transaction.serverPhase = .waitingResponse
        guard runResponseRules(analysis, resuming: true) else { return }
        // Bytes that arrived while the rules waited follow the head in `serverInbound` (when they exceed what
        // `beforeHead` holds, the head and the body leave in separate writes).
        forwardResponseHead(transaction, framing: analysis.framing, beforeHead: analysis.beforeHead)
        guard let current = txn, current === transaction, upstreamEndedDuringAnalysis else { return }
        upstreamEndedDuringAnalysis = false
        switch current.serverPhase {
        case .responseBody:
            if current.responseBody.senderClosed() {
                responseComplete()
            } else {
                current.terminate("S", "D")
                abortTransaction()
                close()
            }
        default:
            break
        }
    }

    /// The final response head after the response rules: `http-after-response` rules, connection headers, then
    /// the head (and the body bytes that came with it) to the client.
    private func forwardResponseHead(_ transaction: HTTPTransaction, framing: HTTPBodyFraming, beforeHead: ByteBuffer) {
        transaction.backend?.rules.applyHTTPAfterResponse(stream: stream)
        if transaction.backend?.proxyID != frontend.proxyID {
            frontend.rules.applyHTTPAfterResponse(stream: stream)
        }
        var head = stream.samples.response!
        stream.samples.response = nil
        transaction.status = head.status
        let upgrade = head.status == 101
        transaction.serverWantsClose = head.connectionOptions.close
        if upgrade {
            transaction.responseBody = .empty
        } else {
            transaction.responseBody = BodyProgress(framing)
        }
        if transaction.responseBody.isUntilClose {
            // Unknown length: the end of the body is the end of the connection.
            transaction.closeClientAfter = true
        }
        if transaction.closeClientAfter || loop.runtime.isStopping {
            transaction.closeClientAfter = true
            if !upgrade && !head.connectionOptions.close || head.firstIndex(named: "connection") != nil {
                head.set(name: "Connection", value: "close")
            }
        } else if transaction.requestVersionMinor == 0 {
            head.set(name: "Connection", value: "keep-alive")
        } else if !upgrade && transaction.serverWantsClose {
            // The server closes its side; the client connection stays open.
            head.remove(named: "connection")
        }
        let verbatim = !head.isModified
        var out = head.serialized(allocator: context.channel.allocator)
        let headLength = head.receivedLength
        stream.samples.response = consume head
        transaction.serverPhase = upgrade ? .done : .responseBody
        if upgrade {
            transaction.bytesToClient += UInt64(out.readableBytes)
            writeToClient(out)
            enterTunnel()
            return
        }
        // Body bytes that came with the head: an unedited head and its body leave in one write.
        var body: ByteBuffer?
        do {
            body = try transaction.responseBody.take(from: &serverInbound)
        } catch {
            transaction.terminate("S", "D")
            abortTransaction()
            close()
            return
        }
        if let bodySlice = body, verbatim,
            let combined = beforeHead.getSlice(
                at: beforeHead.readerIndex, length: headLength + bodySlice.readableBytes)
        {
            out = combined
            body = nil
        }
        transaction.bytesToClient += UInt64(out.readableBytes + (body?.readableBytes ?? 0))
        writeToClient(out)
        if let body { writeToClient(body) }
        if serverInbound.readableBytes == 0 {
            serverInbound = Self.emptyBuffer
        }
        if transaction.responseBody.isComplete {
            if serverInbound.readableBytes > 0 { markServerNotReusable() }
            serverInbound = Self.emptyBuffer
            responseComplete()
        }
    }

    func serverConnectionReadComplete(_ connection: ServerConnection) {
        guard connection === server else { return }
        flushClient()
    }

    func serverConnectionWritabilityChanged(_ connection: ServerConnection) {
        guard connection === server, connection.isWritable else { return }
        resumeClientReading()
        if phase == .active { process() }
    }

    func serverConnectionInputClosed(_ connection: ServerConnection) {
        serverGone(connection)
    }

    func serverConnectionClosed(_ connection: ServerConnection, error: (any Error)?) {
        serverGone(connection)
    }

    func serverConnectionKilled(_ connection: ServerConnection) {
        guard connection === server else {
            connection.close()
            return
        }
        txn?.terminate("K", "D")
        abortTransaction()
        close()
    }

    /// The server closed (FIN or reset).
    private func serverGone(_ connection: ServerConnection) {
        guard connection === server else { return }
        server = nil
        connection.close()
        if loop.runtime.isHardStopping {
            txn?.terminate("K", "D")
            abortTransaction()
            close()
            return
        }
        if phase == .tunnel {
            flushClient()
            close()
            return
        }
        guard let transaction = txn, phase == .active else { return }
        switch transaction.serverPhase {
        case .analyzingResponse:
            upstreamEndedDuringAnalysis = true
        case .waitingResponse:
            if transaction.reusedConnection && transaction.responseHeadAt == nil && serverInbound.readableBytes == 0
                && transaction.requestBody.forwarded == 0 && transaction.requestBody.isComplete
            {
                // The idle connection was closed by the server as we reused it: retry on a new one.
                transaction.requestHeadSent = false
                transaction.reusedConnection = false
                txn = transaction
                if let chosen = transaction.server, let backend = transaction.backend {
                    txn!.serverPhase = .connecting
                    txn!.connectStartedAt = .now()
                    connect(to: chosen, backend: backend)
                }
                return
            }
            transaction.terminate("S", "H")
            txn = transaction
            respondLocally(.error(502))
        case .responseBody:
            if transaction.responseBody.senderClosed() {
                txn = transaction
                responseComplete()
            } else {
                transaction.terminate("S", "D")
                txn = transaction
                abortTransaction()
                close()
            }
        default:
            break
        }
    }

    // MARK: - Completion

    private func responseComplete() {
        guard let transaction = txn else { return }
        transaction.serverPhase = .done
        txn = transaction
        if transaction.requestBody.isComplete {
            finishTransaction()
        } else {
            // The server answered before the whole request arrived: the connection cannot be resynchronised.
            markServerNotReusable()
            txn!.closeClientAfter = true
            finishTransaction()
        }
    }

    private var serverReusable = true

    private func markServerNotReusable() { serverReusable = false }

    /// Releases the server side, logs, and moves on to the next request (or closes).
    private func finishTransaction() {
        guard let transaction = txn else { return }
        dropService()
        suspendedRequestRules = nil
        suspendedResponseRules = nil
        upstreamEndedDuringAnalysis = false
        if let connection = server {
            server = nil
            let backendKeepsAlive = transaction.backend?.connectionMode == .keepAlive
                && frontend.connectionMode == .keepAlive
            let serverKeepsAlive = !transaction.serverWantsClose && transaction.status != 0
            if serverReusable && backendKeepsAlive && serverKeepsAlive && transaction.requestBody.isComplete
                && transaction.responseBody.isComplete && serverInbound.readableBytes == 0 && !loop.runtime.isStopping
            {
                loop.pool.park(connection)
            } else {
                connection.close()
            }
        }
        serverReusable = true
        serverInbound = Self.emptyBuffer
        releaseServerSlot()
        emitLog(transaction)
        txn = nil
        stream.endTransaction()
        flushClient()
        if transaction.closeClientAfter || clientInputClosed || loop.runtime.isStopping {
            close()
            return
        }
        phase = .waitingRequest
        lastActivity = eventTime
        armTimer(.keepAlive, frontend.timeouts.httpKeepAlive ?? frontend.timeouts.httpRequest ?? frontend.timeouts.client)
        if inbound.readableBytes > 0 {
            process()
        } else {
            resumeClientReading()
        }
    }

    /// Stops the transaction after an error: the server connection is closed, the slot released.
    private func abortTransaction() {
        dropService()
        suspendedRequestRules = nil
        suspendedResponseRules = nil
        upstreamEndedDuringAnalysis = false
        if let connection = server {
            server = nil
            connection.close()
        }
        if let ticket = queueTicket, let backend = txn?.backend {
            backend.backend.queue.remove(ticket)
            queueTicket = nil
        }
        releaseServerSlot()
        if let transaction = txn {
            emitLog(transaction)
            txn = nil
            stream.endTransaction()
        }
    }

    private func releaseServerSlot() {
        guard let chosen = txn?.server else { return }
        txn?.server = nil
        chosen.releaseSlot()
        txn?.backend?.backend.queue.slotReleased()
    }

    /// Answers the current request from the proxy itself (rules, errors).
    private func respondLocally(_ response: LocalResponse) {
        guard let transaction = txn else { return }
        dropService()
        suspendedRequestRules = nil
        suspendedResponseRules = nil
        upstreamEndedDuringAnalysis = false
        if let connection = server {
            server = nil
            connection.close()
        }
        if let ticket = queueTicket, let backend = transaction.backend {
            backend.backend.queue.remove(ticket)
            queueTicket = nil
        }
        let bytes: ByteBuffer
        switch response {
        case .error(let status):
            if let backend = transaction.backend {
                bytes = backend.errorPages.response(for: status, fallback: frontend.errorPages)
            } else {
                bytes = frontend.errorPages.response(for: status)
            }
            transaction.status = status
            transaction.closeClientAfter = transaction.closeClientAfter || status >= 500 || status == 400
                || status == 408
        case .raw(let status, let buffer, let close):
            bytes = buffer
            transaction.status = status
            if close { transaction.closeClientAfter = true }
        }
        if !transaction.requestBody.isComplete { transaction.closeClientAfter = true }
        transaction.bytesToClient += UInt64(bytes.readableBytes)
        transaction.serverPhase = .done
        transaction.responseBody = .empty
        txn = transaction
        writeToClient(bytes)
        // Skip the request body: the exchange is over.
        if !transaction.requestBody.isComplete {
            txn!.requestBody = .empty
        }
        finishTransaction()
    }

    /// A malformed request or head timeout before any transaction: answer and close.
    private func rejectRequest(status: Int, reason: (any Error)?) {
        phase = .closing
        let bytes = frontend.errorPages.response(for: status)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        emitErrorLog(status: status, termination: status == 408 ? ("c", "R") : ("P", "R"), bytes: bytes.readableBytes)
        close()
    }

    private func logPrematureClose() {
        emitErrorLog(status: 400, termination: ("C", "R"), bytes: 0)
    }

    private func enterTunnel() {
        phase = .tunnel
        let timeout = frontend.timeouts.tunnel ?? txn?.backend?.timeouts.tunnel
            ?? maxTime(frontend.timeouts.client, txn?.backend?.timeouts.server)
        armTimer(.tunnel, timeout)
        if serverInbound.readableBytes > 0 {
            writeToClient(serverInbound)
            serverInbound = ByteBuffer()
        }
        flushClient()
        if inbound.readableBytes > 0, let server {
            server.write(inbound)
            server.flush()
            inbound = ByteBuffer()
        }
        server?.resumeReading()
        resumeClientReading()
    }

    /// Closes the client connection after pending writes.
    /// Closes the client connection once the bytes already written to it have left: a response
    /// queued behind a slow reader is delivered, not cut (NIO drops unwritten data on close).
    private func close() {
        guard !closeRequested else { return }
        closeRequested = true
        phase = .closing
        timer.cancel()
        if let connection = server {
            server = nil
            connection.close()
        }
        ClientCloser.closeAfterPendingWrites(
            context, limit: frontend.timeouts.client ?? ClientCloser.defaultLimit)
        clientNeedsFlush = false
    }

    // MARK: - Writing

    private func writeToClient(_ buffer: ByteBuffer) {
        context.write(wrapOutboundOut(buffer), promise: nil)
        clientNeedsFlush = true
    }

    private func flushClient() {
        guard clientNeedsFlush else { return }
        clientNeedsFlush = false
        context.flush()
    }

    // MARK: - Timers

    private func armTimer(_ kind: TimerKind, _ amount: TimeAmount?) {
        timer.kind = kind
        timer.duration = amount
        guard let amount else {
            timer.deadline = nil
            return
        }
        let deadline = eventTime + amount
        timer.deadline = deadline
        if let scheduledFor = timer.scheduledFor, scheduledFor <= deadline { return }
        scheduleTimer(at: deadline)
    }

    /// Pushes the current inactivity deadline forward after traffic.
    private func touchTimer() {
        guard let duration = timer.duration else { return }
        timer.deadline = eventTime + duration
    }

    private func scheduleTimer(at deadline: NIODeadline) {
        timer.task?.cancel()
        timer.scheduledFor = deadline
        timer.task = loop.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer.task = nil
            timer.scheduledFor = nil
            guard let current = timer.deadline else { return }
            eventTime = .now()
            if current > eventTime {
                scheduleTimer(at: current)
                return
            }
            timer.deadline = nil
            timerExpired(timer.kind)
        }
    }

    private func timerExpired(_ kind: TimerKind) {
        switch kind {
        case .requestHead:
            if phase == .waitingRequest {
                if inbound.readableBytes > 0 || requestsHandled == 0 {
                    rejectRequest(status: 408, reason: nil)
                } else {
                    close()
                }
            }
        case .keepAlive:
            if phase == .waitingRequest { close() }
        case .clientIdle:
            if phase == .active {
                txn?.terminate("c", "D")
                abortTransaction()
                close()
            }
        case .serverIdle:
            guard phase == .active, let transaction = txn else { return }
            markServerNotReusable()
            if transaction.serverPhase == .waitingResponse {
                txn!.terminate("s", "H")
                respondLocally(.error(504))
            } else {
                txn!.terminate("s", "D")
                abortTransaction()
                close()
            }
        case .queue:
            guard phase == .active, txn?.serverPhase == .queued else { return }
            txn!.terminate("s", "Q")
            respondLocally(.error(503))
        case .tunnel:
            close()
        }
    }

    private func maxTime(_ a: TimeAmount?, _ b: TimeAmount?) -> TimeAmount? {
        switch (a, b) {
        case (nil, nil): return nil
        case (let x?, nil), (nil, let x?): return x
        case (let x?, let y?): return max(x, y)
        }
    }

    // MARK: - Logging

    private func emitLog(_ transaction: HTTPTransaction) {
        guard let log = frontend.log else { return }
        log.emitHTTP(transaction: transaction, stream: stream, frontend: frontend, runtime: loop.runtime)
    }

    private func emitErrorLog(status: Int, termination: (Character, Character), bytes: Int) {
        guard let log = frontend.log else { return }
        log.emitRejected(
            status: status, termination: termination, bytes: bytes, stream: stream, frontend: frontend,
            runtime: loop.runtime)
    }
}


