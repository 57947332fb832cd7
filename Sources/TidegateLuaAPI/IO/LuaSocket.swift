import NIOCore
import NIOPosix
import TidegateLua

/// The Swift object behind a Lua `Socket` (`core.tcp()`): a TCP or UNIX stream connection made with NIO on the
/// event loop that created the socket, which alone may use it. Reads and slow writes yield through `LuaAwait`;
/// nothing blocks. Dropping the object (when its handle is invalidated and no coroutine waits on it) closes the
/// connection.
final class LuaSocket {
    private enum State {
        case idle
        case connecting
        case connected(Channel, LuaSocketHandler)
        case closed
    }

    /// What `receive` reads.
    enum Pattern: Equatable {
        /// `*l`: up to LF, without the LF and a CR before it.
        case line
        /// `*a`: until the peer closes.
        case all
        /// This many more bytes.
        case count(Int)
    }

    let eventLoop: EventLoop
    private var state: State = .idle
    /// The inactivity timeout, also the connect timeout (`settimeout`).
    private(set) var timeout: TimeAmount
    /// The coroutines waiting for input.
    private var readWaits: [LuaIOWait] = []

    init(eventLoop: EventLoop, timeoutMilliseconds: Int64) {
        self.eventLoop = eventLoop
        self.timeout = .milliseconds(max(timeoutMilliseconds, 1))
    }

    deinit {
        if case .connected(let channel, _) = self.state {
            channel.close(promise: nil)
        }
    }

    private func checkThread() throws(LuaIOError) {
        guard self.eventLoop.inEventLoop else {
            throw LuaIOError("connect: cannot use socket on other thread")
        }
    }

    // MARK: connect

    /// `connect(addr[, port])`: 1, or nil and an error ("connection refused", "timeout"...). With `secure`
    /// (`connect_ssl`) the connection is TLS, without certificate verification or SNI, and 1 comes once the
    /// handshake is done (within the socket's timeout); a failed handshake is nil and "SSL handshake failure...".
    func connect(_ arguments: [LuaValue], secure: Bool = false) throws -> LuaFunctionResult {
        guard !arguments.isEmpty else { throw LuaIOError("connect: need at least 2 arguments") }
        try self.checkThread()
        guard let address = LuaIOArgument.string(arguments[0]) else {
            throw LuaIOError.type(2, "connect", expected: "string", got: arguments[0])
        }
        var port: Int?
        if arguments.count >= 2 {
            guard let value = LuaIOArgument.integer(arguments[1]) else {
                throw LuaIOError.type(3, "connect", expected: "number", got: arguments[1])
            }
            port = Int(clamping: value)
        }
        let text = String(decoding: address, as: UTF8.self)
        let target: LuaConnectTarget
        do {
            target = try LuaConnectTarget.parse(text, port: port)
        } catch .portMissing {
            throw LuaIOError("connect: port missing")
        } catch {
            throw LuaIOError("connect: cannot parse destination address '\(text)'")
        }
        guard case .idle = self.state else {
            return .values([.nil, "already connected"])
        }
        var tls: LuaIOConnector.TLS?
        if secure {
            guard let context = LuaTLS.socketContext else { return .values([.nil, "SSL is not available"]) }
            tls = LuaIOConnector.TLS(context: context, serverName: nil)
        }
        self.state = .connecting

        let handler = LuaSocketHandler()
        handler.onActivity = { [weak self] in self?.inputChanged() }
        var connected = LuaIOConnector.connect(
            to: target, on: self.eventLoop, timeout: self.timeout, tls: tls, handler: handler)
        if tls != nil {
            connected = self.handshake(after: connected, handler: handler)
        }
        let result = connected.assumeIsolated().map { channel -> [LuaValue] in
            guard case .connecting = self.state else {
                // Closed while connecting.
                channel.close(promise: nil)
                return [.nil, "closed"]
            }
            self.state = .connected(channel, handler)
            return [.integer(1)]
        }.recover { error in
            if case .connecting = self.state {
                self.state = .closed
            }
            return [.nil, .string(Array(LuaIOConnector.describe(error).utf8))]
        }.nonisolated()
        return .yield(request: LuaAwait(result), continuation: { .values($0) })
    }

    /// The channel of `connected` once its TLS handshake is done; fails (closing the channel) if the connection
    /// fails, ends or stays silent for the timeout before.
    private func handshake(after connected: EventLoopFuture<Channel>, handler: LuaSocketHandler) -> EventLoopFuture<
        Channel
    > {
        let handshake = self.eventLoop.makePromise(of: Void.self)
        handler.handshake = handshake
        connected.whenFailure { handshake.fail($0) }
        let timeout = self.timeout
        return connected.assumeIsolated().flatMap { channel in
            let timer = channel.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                handshake.fail(ChannelError.connectTimeout(timeout))
            }
            return handshake.futureResult.assumeIsolated().always { _ in timer.cancel() }.map { channel }
                .flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }.nonisolated()
        }.nonisolated()
    }

    // MARK: receive

    /// `receive([pattern[, prefix]])`.
    func receive(_ arguments: [LuaValue]) throws -> LuaFunctionResult {
        guard arguments.count <= 2 else {
            throw LuaIOError("The 'receive' function requires between 1 and 3 arguments.")
        }
        try self.checkThread()
        var pattern = Pattern.line
        switch arguments.first {
        case .string(let bytes)?:
            if bytes == Array("*a".utf8) {
                pattern = .all
            } else if bytes == Array("*l".utf8) {
                pattern = .line
            } else {
                let text = String(decoding: bytes, as: UTF8.self)
                guard let count = Int(text) else { throw LuaIOError("Unsupported pattern.") }
                guard count >= 0 else { throw LuaIOError("Unsupported size.") }
                pattern = .count(count)
            }
        case .integer(let count)?:
            guard count >= 0 else { throw LuaIOError("Unsupported size.") }
            pattern = .count(Int(clamping: count))
        case .number(let number)?:
            // lua_tointeger: 0 for a float without an integer value.
            let count = LuaArguments.exactInteger(number) ?? 0
            guard count >= 0 else { throw LuaIOError("Unsupported size.") }
            pattern = .count(Int(clamping: count))
        default:
            break
        }
        var prefix: [UInt8] = []
        if arguments.count >= 2 {
            guard case .string(let bytes) = arguments[1] else {
                throw LuaIOError("Expect a 'string' for the prefix")
            }
            prefix = bytes
        }
        return self.read(pattern, into: prefix)
    }

    /// Reads what is available for `pattern`; returns the result, or yields until more arrives, the input ends or
    /// the timeout passes.
    private func read(_ pattern: Pattern, into accumulated: [UInt8]) -> LuaFunctionResult {
        var accumulated = accumulated
        guard case .connected(_, let handler) = self.state else {
            return .values([.nil, "closed", .string(accumulated)])
        }
        var pattern = pattern
        switch pattern {
        case .line:
            if let line = handler.takeLine() {
                return .values([.string(accumulated + line)])
            }
        case .all:
            accumulated += handler.takeAll()
        case .count(let remaining):
            let bytes = handler.take(upTo: remaining)
            accumulated += bytes
            pattern = .count(remaining - bytes.count)
            if remaining == bytes.count {
                return .values([.string(accumulated)])
            }
        }
        if handler.inputClosed {
            if pattern == .all {
                return .values([.string(accumulated)])
            }
            return .values([.nil, "closed", .string(accumulated + handler.takeAll())])
        }
        let wait = LuaIOWait(on: self.eventLoop, timeout: self.timeout, timeoutValues: [false])
        self.readWaits.append(wait)
        let partial = accumulated
        return .yield(
            request: LuaAwait(wait.future),
            continuation: { [self] values in
                self.readWaits.removeAll { $0 === wait }
                guard values.first == .boolean(true) else {
                    var partial = partial
                    if case .connected(_, let handler) = self.state, pattern == .line {
                        partial += handler.takeAll()
                    }
                    return .values([.nil, "timeout", .string(partial)])
                }
                return self.read(pattern, into: partial)
            })
    }

    /// Bytes arrived or the input ended: wake the readers.
    private func inputChanged() {
        let waits = self.readWaits
        self.readWaits.removeAll()
        for wait in waits {
            wait.finish([true])
        }
    }

    // MARK: send

    /// `send(data[, i[, j]])`: the index of the last byte sent, or nil, an error and the index of the last byte
    /// sent before it.
    func send(_ arguments: [LuaValue]) throws -> LuaFunctionResult {
        guard (1...3).contains(arguments.count) else {
            throw LuaIOError("'send' needs between 2 and 4 arguments")
        }
        try self.checkThread()
        guard let data = LuaIOArgument.string(arguments[0]) else {
            throw LuaIOError.type(2, "send", expected: "string", got: arguments[0])
        }
        let length = Int64(data.count)
        var last = length
        if arguments.count == 3 {
            guard let value = LuaIOArgument.integer(arguments[2]) else {
                throw LuaIOError.type(4, "send", expected: "number", got: arguments[2])
            }
            last = value < 0 ? length + value + 1 : value
            last = min(last, length + 1)
        }
        var first: Int64 = 1
        if arguments.count >= 2 {
            guard let value = LuaIOArgument.integer(arguments[1]) else {
                throw LuaIOError.type(3, "send", expected: "number", got: arguments[1])
            }
            first = value < 0 ? length + value + 1 : value
            first = min(first, length + 1)
        }
        if first > last || (first == 0 && last == 0) {
            return .values([0])
        }
        first = max(first, 1)
        last = min(max(last, 1), length)
        guard first <= last else { return .values([0]) }

        guard case .connected(let channel, _) = self.state, channel.isActive else {
            return .values([.nil, "closed", .integer(first - 1)])
        }
        let written = channel.writeAndFlush(ByteBuffer(bytes: data[Int(first - 1)..<Int(last)]))
        if channel.isWritable {
            // Buffered: errors show up on the next receive or send.
            return .values([.integer(last)])
        }
        // The socket buffer is full: wait until this write went out (or the timeout).
        let wait = LuaIOWait(
            on: self.eventLoop, timeout: self.timeout, timeoutValues: [.nil, "timeout", .integer(first - 1)])
        written.assumeIsolated().whenComplete { result in
            switch result {
            case .success: wait.finish([.integer(last)])
            case .failure: wait.finish([.nil, "closed", .integer(first - 1)])
            }
        }
        return .yield(request: LuaAwait(wait.future), continuation: { .values($0) })
    }

    // MARK: settings and names

    /// `settimeout(seconds)`: one inactivity timeout, also used for the connection. Returns 1.
    func setTimeout(_ arguments: [LuaValue]) throws -> LuaFunctionResult {
        guard let seconds = LuaIOArgument.number(arguments.first) else {
            throw LuaIOError.type(2, "settimeout", expected: "number", got: arguments.first)
        }
        let milliseconds = seconds * 1000
        guard milliseconds >= 0 else { throw LuaIOError("settimeout: cannot set negatives values") }
        guard milliseconds <= Double(Int32.max) else {
            throw LuaIOError("settimeout: cannot set values larger than \(Int32.max) ms")
        }
        try self.checkThread()
        self.timeout = .milliseconds(max(Int64(milliseconds), 1))
        return .values([1])
    }

    /// `getpeername()`: "ip:port", "[ipv6]:port", the UNIX socket path, or nil.
    func peerName() throws -> LuaFunctionResult {
        try self.checkThread()
        guard case .connected(let channel, _) = self.state else { return .values([.nil]) }
        return .values([LuaConnectTarget.describe(channel.remoteAddress).map { LuaValue($0) } ?? .nil])
    }

    /// `getsockname()`: as `getpeername` for the local side.
    func socketName() throws -> LuaFunctionResult {
        try self.checkThread()
        guard case .connected(let channel, _) = self.state else { return .values([.nil]) }
        return .values([LuaConnectTarget.describe(channel.localAddress).map { LuaValue($0) } ?? .nil])
    }

    /// `close()`: closes the connection; a waiting reader gets "closed".
    func close() throws -> LuaFunctionResult {
        try self.checkThread()
        self.shutdown()
        return .values([])
    }

    /// Closes the connection (also when the engine ends the socket's task or transaction).
    func shutdown() {
        if case .connected(let channel, _) = self.state {
            channel.close(promise: nil)
        }
        self.state = .closed
        self.inputChanged()
    }
}
