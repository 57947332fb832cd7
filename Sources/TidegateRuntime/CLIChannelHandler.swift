import NIOCore
import TidegateConfig
import TidegateCore

/// One runtime API connection: feeds the client's bytes to a `CLISessionStateMachine`, runs the requests it yields
/// through the `CLICommandTable`, writes the answers, and closes when the session says so or when it stays idle
/// (`stats timeout`) while a request is awaited. Confined to the channel's event loop.
final class CLIChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: CLISessionStateMachine
    private let table: CLICommandTable
    private let level: CLIAccessLevel
    private let idleTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var idleTimer: Scheduled<Void>?
    /// The command applet running now, if any.
    private var applet: CLIAppletIO?
    /// Set while an applet is being started, to notice one that finishes at once.
    private var starting = false
    private var finishedWhileStarting = false
    private var inputEnded = false
    private var closed = false

    init(table: CLICommandTable, level: CLIAccessLevel, idleTimeout: TimeAmount, maximumRequestSize: Int) {
        self.session = CLISessionStateMachine(maximumRequestSize: maximumRequestSize)
        self.table = table
        self.level = level
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        armIdleTimer()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if let applet {
            applet.deliver(bytes)
            return
        }
        session.receive(bytes.readableBytesView)
        advance()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputEnded = true
            session.endOfInput()
            if let applet {
                applet.endInput()
            } else {
                advance()
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        idleTimer?.cancel()
        idleTimer = nil
        let applet = self.applet
        self.applet = nil
        applet?.cancel()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { applet?.running?.outputWritable() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close()
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: Requests

    /// Runs the requests that are complete, until one waits (for input or for its applet) or the session closes.
    private func advance() {
        defer { if !closed { context?.flush() } }
        while !closed, applet == nil {
            switch session.nextAction() {
            case .wait:
                armIdleTimer()
                return
            case .close:
                close()
                return
            case .write(let text):
                write(text)
            case .execute(let words, let payload):
                idleTimer?.cancel()
                idleTimer = nil
                run(CLIRequest(words: words, payload: payload, level: level))
            }
        }
    }

    private func run(_ request: CLIRequest) {
        switch table.resolve(request) {
        case .answer(let text):
            complete(text, .none)
        case .togglePrompt:
            complete("", .togglePrompt)
        case .quit:
            complete("", .quit)
        case .applet(let start):
            guard let eventLoop = context?.eventLoop else { return }
            let io = CLIAppletIO(handler: self, input: session.takeInput(), inputEnded: inputEnded)
            applet = io
            starting = true
            finishedWhileStarting = false
            let running = start(request, io, eventLoop)
            starting = false
            guard let running else {
                applet = nil
                session.restoreInput(io.untakenInput)
                complete("This command is not available.\n", .none)
                return
            }
            if finishedWhileStarting {
                appletEnded(io)
            } else {
                io.running = running
            }
        }
    }

    /// Writes the end of an answer and closes or goes on as the session decides.
    private func complete(_ text: String, _ effect: CLISessionStateMachine.Effect) {
        write(text)
        let (suffix, close) = session.requestFinished(effect)
        write(suffix)
        if close { self.close() }
    }

    // MARK: Applet

    func appletDidWrite(_ bytes: ByteBuffer) {
        guard !closed, let context else { return }
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    func appletDidFinish(_ io: CLIAppletIO) {
        guard io === applet else { return }
        if starting {
            finishedWhileStarting = true
            return
        }
        appletEnded(io)
        advance()
    }

    private func appletEnded(_ io: CLIAppletIO) {
        applet = nil
        io.running = nil
        session.restoreInput(io.untakenInput)
        complete("", .none)
    }

    // MARK: Output and closing

    private func write(_ text: String) {
        guard !closed, !text.isEmpty, let context else { return }
        context.write(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
    }

    private func armIdleTimer() {
        idleTimer?.cancel()
        guard !closed, let context else { return }
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: idleTimeout) { [self] in
            idleTimer = nil
            close()
        }
    }

    /// Sends what is pending, then closes.
    private func close() {
        guard !closed, let context else { return }
        closed = true
        idleTimer?.cancel()
        idleTimer = nil
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
