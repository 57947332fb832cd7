import NIOCore
import Synchronization
import TidegateConfig
import TidegateCore

/// How a frontend logs its streams: the compiled log format and the `log` targets it writes to.
/// One line per HTTP transaction or TCP stream, at level `info` (`err` for errors with
/// `option log-separate-errors`), as HAProxy does.
public final class ProxyLog: Sendable {
    /// The per-stream format; nil means only a connect line per accepted connection.
    let format: LogFormat?
    let httpMode: Bool
    let targets: [LogTarget]
    let dontLogNull: Bool
    let separateErrors: Bool
    private let sinks = Mutex<[LogSink]>([])

    init(format: LogFormat?, targets: [LogTarget], dontLogNull: Bool, separateErrors: Bool, httpMode: Bool) {
        self.format = format
        self.httpMode = httpMode
        self.targets = targets
        self.dontLogNull = dontLogNull
        self.separateErrors = separateErrors
    }

    /// Opens the targets (UDP sockets get a channel on `eventLoop`). Called once before serving.
    func open(on eventLoop: any EventLoop) async throws {
        var opened: [LogSink] = []
        for target in targets {
            opened.append(try await LogSink.open(target, eventLoop: eventLoop))
        }
        sinks.withLock { $0 = opened }
    }

    private func send(_ line: String, error: Bool, timestamp: Int64) {
        let level: LogLevel = error && separateErrors ? .error : .info
        let current = sinks.withLock { $0 }
        for sink in current { sink.send(line, level: level, timestampMicros: timestamp) }
    }

    /// Sends a free-form message (Lua's `txn:log()`, `core.log()`) to the targets; false when there is none yet.
    func sendMessage(_ message: String, level: LogLevel) -> Bool {
        let current = sinks.withLock { $0 }
        guard !current.isEmpty else { return false }
        let timestamp = WallClock.microseconds()
        for sink in current { sink.send(message, level: level, timestampMicros: timestamp) }
        return true
    }

    /// Logs an accepted connection when no per-stream format is configured.
    func emitConnect(stream: StreamContext) {
        guard format == nil else { return }
        send(LogFormat.connectLine(stream.samples, httpMode: httpMode), error: false, timestamp: stream.acceptedWallClock)
    }

    /// Logs one HTTP transaction.
    func emitHTTP(transaction: HTTPTransaction, stream: StreamContext, frontend: FrontendRuntime, runtime: ProxyRuntime) {
        let samples = stream.samples
        guard let format, !samples.logSilenced else { return }
        let end = NIODeadline.now()
        var info = StreamLogInfo()
        // A keep-alive request's stream starts when the previous one ended (HAProxy's accept date).
        info.acceptDate = stream.acceptedWallClock + (transaction.acceptedAt - stream.acceptedAt).nanoseconds / 1000
        info.handshakeTime = 0
        info.idleTime = milliseconds(transaction.acceptedAt, transaction.requestStartedAt)
        info.requestTime = milliseconds(transaction.requestStartedAt, transaction.headReceivedAt)
        if let queuedAt = transaction.queuedAt {
            info.queueTime = milliseconds(queuedAt, transaction.connectStartedAt ?? transaction.connectedAt ?? end)
        } else if transaction.server != nil || transaction.connectedAt != nil {
            info.queueTime = 0
        }
        if let connectStartedAt = transaction.connectStartedAt, let connectedAt = transaction.connectedAt {
            info.connectTime = milliseconds(connectStartedAt, connectedAt)
        } else if transaction.connectedAt != nil {
            info.connectTime = 0
        }
        if let headAt = transaction.responseHeadAt, let connectedAt = transaction.connectedAt {
            info.responseTime = milliseconds(connectedAt, headAt)
        }
        info.totalTime = milliseconds(transaction.acceptedAt, end)
        info.status = transaction.status == 0 ? -1 : transaction.status
        info.bytesOut = Int64(transaction.bytesToClient)
        info.bytesIn = Int64(transaction.bytesFromClient)
        info.terminationState = String(decoding: [transaction.termination.0, transaction.termination.1], as: UTF8.self)
        info.activeConnections = runtime.currentConnections
        info.frontendConnections = frontend.currentConnections
        if let backend = transaction.backend {
            info.backendConnections = backend.backend.servers.reduce(0) { $0 + $1.currentConnections }
            info.backendQueue = backend.backend.queue.count
        }
        if let server = transaction.serverForLog {
            info.serverConnections = server.currentConnections
            info.serverAddress = server.address
        }
        info.retries = max(0, transaction.attempts - 1)
        info.requestLine = transaction.requestLine
        samples.logInfo = info
        let line = format.render(in: samples)
        let isError = transaction.status >= 500 || transaction.termination.0 != UInt8(ascii: "-")
        send(line, error: isError, timestamp: info.acceptDate)
    }

    /// Logs a request rejected before a transaction started (malformed, timeout).
    func emitRejected(
        status: Int, termination: (Character, Character), bytes: Int, stream: StreamContext,
        frontend: FrontendRuntime, runtime: ProxyRuntime
    ) {
        let samples = stream.samples
        guard let format else { return }
        var info = StreamLogInfo()
        info.acceptDate = stream.acceptedWallClock
        info.totalTime = milliseconds(stream.acceptedAt, .now())
        info.status = status
        info.bytesOut = Int64(bytes)
        info.terminationState = "\(termination.0)\(termination.1)"
        info.activeConnections = runtime.currentConnections
        info.frontendConnections = frontend.currentConnections
        info.requestLine = "<BADREQ>"
        samples.logInfo = info
        send(format.render(in: samples), error: true, timestamp: stream.acceptedWallClock)
    }

    /// Logs one TCP stream.
    func emitTCP(
        stream: StreamContext, frontend: FrontendRuntime, runtime: ProxyRuntime, bytesToClient: UInt64,
        bytesFromClient: UInt64, connectedAt: NIODeadline?, connectStartedAt: NIODeadline?,
        termination: (Character, Character)
    ) {
        if dontLogNull && bytesFromClient == 0 && bytesToClient == 0 { return }
        guard let format else { return }
        let samples = stream.samples
        var info = StreamLogInfo()
        info.acceptDate = stream.acceptedWallClock
        info.queueTime = connectStartedAt == nil ? -1 : 0
        if let connectStartedAt, let connectedAt { info.connectTime = milliseconds(connectStartedAt, connectedAt) }
        info.totalTime = milliseconds(stream.acceptedAt, .now())
        info.bytesOut = Int64(bytesToClient)
        info.bytesIn = Int64(bytesFromClient)
        info.terminationState = "\(termination.0)\(termination.1)"
        info.activeConnections = runtime.currentConnections
        info.frontendConnections = frontend.currentConnections
        samples.logInfo = info
        send(format.render(in: samples), error: termination.0 != "-", timestamp: stream.acceptedWallClock)
    }

    private func milliseconds(_ from: NIODeadline, _ to: NIODeadline) -> Int {
        Int(max(0, (to - from).nanoseconds / 1_000_000))
    }
}
