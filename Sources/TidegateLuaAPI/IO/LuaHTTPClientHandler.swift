import NIOCore
import NIOSSL
import TidegateHTTP

/// Runs one HTTP/1.1 exchange of the Lua HTTP client on its connection: writes the request once connected, parses
/// the response head with `HTTPHeadParser` (skipping interim 1xx responses), reads the body as framed
/// (`content-length`, chunked, or until close) and completes `promise` once, closing the connection. An inactivity
/// timeout, re-armed by every read, ends it with status 0.
final class LuaHTTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case head
        case body(HTTPHead, HTTPBodyFraming)
        case done
    }

    let promise: EventLoopPromise<LuaHTTPClientResponse>
    private let request: ByteBuffer
    private let isHeadRequest: Bool
    private let timeout: TimeAmount?
    private var state = State.head
    private var buffer = ByteBuffer()
    private var parser = HTTPHeadParser()
    private var body: [UInt8] = []
    private var chunks = ChunkedBodyScanner()
    private var timer: Scheduled<Void>?

    init(
        request: ByteBuffer, isHeadRequest: Bool, timeout: TimeAmount?, promise: EventLoopPromise<LuaHTTPClientResponse>
    ) {
        self.request = request
        self.isHeadRequest = isHeadRequest
        self.timeout = timeout
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        self.armTimer(context: context)
        context.writeAndFlush(self.wrapOutboundOut(self.request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.buffer.writeBuffer(&bytes)
        self.armTimer(context: context)
        do {
            try self.process(context: context)
        } catch {
            self.finish(.failure("invalid response: \(error)"), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .body(let head, .untilClose) = self.state {
            self.finish(self.response(head), context: context)
        } else {
            self.finish(.failure("connection closed before the end of the response"), context: context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if case NIOSSLError.uncleanShutdown = error {
            // A TLS server closing without close_notify: the end of the input, as over TCP (channelInactive).
            return
        }
        self.finish(.failure(LuaIOConnector.describe(error)), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Never leave the promise unfulfilled.
        self.timer?.cancel()
        if case .done = self.state { return }
        self.state = .done
        self.promise.succeed(.failure("connection closed before the end of the response"))
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard let timeout = self.timeout else { return }
        self.timer?.cancel()
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.finish(.failure("timeout"), context: loopBoundContext.value)
        }
    }

    private func process(context: ChannelHandlerContext) throws {
        while true {
            switch self.state {
            case .head:
                guard var head = try self.parser.parse(&self.buffer, kind: .response) else { return }
                self.parser.reset()
                if (100...199).contains(head.status), head.status != 101 {
                    continue
                }
                let framing = try head.responseFraming(isHeadRequest: self.isHeadRequest)
                self.state = .body(head, framing)
            case .body(let head, let framing):
                switch framing {
                case .none:
                    self.finish(self.response(head), context: context)
                    return
                case .length(let length):
                    let wanted = Int(clamping: length) - self.body.count
                    let take = min(wanted, self.buffer.readableBytes)
                    self.body += self.buffer.readBytes(length: take) ?? []
                    if self.body.count == Int(clamping: length) {
                        self.finish(self.response(head), context: context)
                    }
                    return
                case .chunked:
                    let scanned = try self.buffer.withUnsafeReadableBytes { raw in
                        try self.chunks.scan(raw)
                    }
                    self.body += self.buffer.readBytes(length: scanned) ?? []
                    if self.chunks.isComplete {
                        var response = self.response(head)
                        response.body = LuaChunkedBody.decode(self.body)
                        self.finish(response, context: context)
                    }
                    return
                case .untilClose:
                    self.body += self.buffer.readBytes(length: self.buffer.readableBytes) ?? []
                    return
                }
            case .done:
                return
            }
        }
    }

    private func response(_ head: HTTPHead) -> LuaHTTPClientResponse {
        let headers = head.fields.indices.map { (head.name(at: $0).lowercased(), head.value(at: $0)) }
        return LuaHTTPClientResponse(status: head.status, reason: head.reason, headers: headers, body: self.body)
    }

    private func finish(_ response: LuaHTTPClientResponse, context: ChannelHandlerContext) {
        if case .done = self.state { return }
        self.state = .done
        self.timer?.cancel()
        self.timer = nil
        self.promise.succeed(response)
        context.close(promise: nil)
    }
}
