import NIOCore
import NIOPosix
import TidegateLua

/// The Swift object behind a Lua `HTTPClient` (`core.httpclient()`). Each `get`/`head`/`put`/`post`/`delete` call
/// makes one HTTP/1.1 request on a new connection from the caller's event loop and yields until the whole
/// response is in. `https://` URLs use TLS with the context of the options (SNI: the host name). Dropping the object (its handle invalidated when
/// the task or transaction ends) closes the connections of requests still running. Like its state, a client is
/// used from one event loop.
final class LuaHTTPClient {
    let options: LuaIOOptions.HTTPClient
    /// Connections of the requests under way, by channel identity.
    private var running: [ObjectIdentifier: Channel] = [:]

    init(options: LuaIOOptions.HTTPClient) {
        self.options = options
    }

    deinit {
        for channel in self.running.values {
            channel.close(promise: nil)
        }
    }

    /// Sends `method` with the request table in `arguments`; returns the response table (status 0 on an internal
    /// error).
    func send(_ method: String, _ arguments: [LuaValue]) throws -> LuaFunctionResult {
        guard let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop else {
            throw LuaIOError("The 'get' function is only allowed in 'frontend', 'backend' or 'task'")
        }
        let request = try LuaHTTPClientRequest(method: method, arguments: arguments)
        let response = self.perform(request, on: eventLoop).map { [$0.luaValue] }
        return .yield(request: LuaAwait(response), continuation: { .values($0) })
    }

    /// Runs `request`; the future never fails (errors are status 0 responses).
    func perform(_ request: LuaHTTPClientRequest, on eventLoop: EventLoop) -> EventLoopFuture<LuaHTTPClientResponse> {
        let url: LuaHTTPClientURL
        do {
            url = try LuaHTTPClientURL.parse(request.url)
        } catch {
            return eventLoop.makeSucceededFuture(.failure("invalid URL"))
        }
        var tls: LuaIOConnector.TLS?
        if url.isTLS {
            guard let context = self.options.tlsContext else {
                return eventLoop.makeSucceededFuture(.failure("https is disabled (no CA file could be loaded)"))
            }
            tls = LuaIOConnector.TLS(context: context, serverName: request.serverName(url: url))
        }
        guard let encoded = request.encoded(url: url) else {
            return eventLoop.makeSucceededFuture(.failure("invalid header field"))
        }
        let target: LuaConnectTarget
        if let destination = request.destination {
            target = destination
        } else if let address = try? SocketAddress(ipAddress: url.host, port: url.port) {
            target = .address(address)
        } else {
            target = .host(url.host, port: url.port)
        }
        let timeout = (request.timeoutMilliseconds ?? self.options.defaultTimeoutMilliseconds)
            .flatMap { $0 > 0 ? TimeAmount.milliseconds($0) : nil }
        return self.attempt(
            target: target, tls: tls, request: encoded, isHeadRequest: request.method == "HEAD", timeout: timeout,
            retriesLeft: max(self.options.retries, 0), on: eventLoop)
    }

    /// One connection attempt, then the exchange; a failed connection is retried `retriesLeft` more times.
    private func attempt(
        target: LuaConnectTarget, tls: LuaIOConnector.TLS?, request: ByteBuffer, isHeadRequest: Bool, timeout: TimeAmount?, retriesLeft: Int,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<LuaHTTPClientResponse> {
        let promise = eventLoop.makePromise(of: LuaHTTPClientResponse.self)
        let handler = LuaHTTPClientHandler(
            request: request, isHeadRequest: isHeadRequest, timeout: timeout, promise: promise)
        let connectTimeout = TimeAmount.milliseconds(max(self.options.connectTimeoutMilliseconds, 1))
        let connected = LuaIOConnector.connect(
            to: target, on: eventLoop, timeout: connectTimeout, tls: tls, handler: handler)
        return connected.assumeIsolated().flatMap { [weak self] channel in
            let key = ObjectIdentifier(channel)
            self?.running[key] = channel
            return promise.futureResult.assumeIsolated().always { [weak self] _ in
                self?.running[key] = nil
            }.nonisolated()
        }.flatMapError { [weak self] error in
            // The connection failed: the handler never ran, so its promise is still ours to fulfil.
            let reason = LuaIOConnector.describe(error)
            promise.succeed(.failure(reason))
            guard retriesLeft > 0, let self else { return eventLoop.makeSucceededFuture(.failure(reason)) }
            return self.attempt(
                target: target, tls: tls, request: request, isHeadRequest: isHeadRequest, timeout: timeout,
                retriesLeft: retriesLeft - 1, on: eventLoop)
        }.nonisolated()
    }
}
