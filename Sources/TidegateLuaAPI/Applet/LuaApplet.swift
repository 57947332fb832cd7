import NIOCore
import TidegateCore
import TidegateHTTP
import TidegateLua

/// The Swift side of an `AppletHTTP` or `AppletTCP` object: the request input (for HTTP the decoded body), the
/// response being built, and the waits of `receive`/`getline`. Confined to the stream's event loop.
final class LuaApplet {
    let io: any ServiceIO
    let mode: ServiceMode
    let transaction: LuaTransaction
    let eventLoop: any EventLoop
    /// The TXN bindings of the applet's state, for its `f`/`sf`/`c`/`sc` objects.
    var txnRuntime: LuaTXNRuntime?

    // Response (HTTP).
    var status = 200
    var reason: String?
    var headers: [(name: String, value: String)] = []
    private(set) var responseStarted = false
    private var chunked = false
    private var finished = false

    // Input.
    private var input = ByteBuffer()
    private var decoder: ChunkedBodyScanner?
    private var remainingLength: UInt64?
    private var inputError = false
    private var waiter: EventLoopPromise<[LuaValue]>?
    /// `send` waiting for the client to take what was sent (the connection is not writable).
    private var outputWaiter: EventLoopPromise<[LuaValue]>?

    init(io: any ServiceIO, mode: ServiceMode, transaction: LuaTransaction, eventLoop: any EventLoop) {
        self.io = io
        self.mode = mode
        self.transaction = transaction
        self.eventLoop = eventLoop
        if mode == .http {
            switch io.requestFraming ?? HTTPBodyFraming.none {
            case .chunked: self.decoder = ChunkedBodyScanner()
            case .length(let length): self.remainingLength = length
            case .none, .untilClose: self.remainingLength = 0
            }
        }
    }

    // MARK: Input

    /// Moves received bytes into `input` (decoding a chunked body).
    private func pull() {
        guard var bytes = self.io.takeInput(), bytes.readableBytes > 0 else { return }
        switch self.mode {
        case .tcp:
            self.input.writeBuffer(&bytes)
        case .http:
            if var decoder = self.decoder {
                do {
                    _ = try bytes.withUnsafeReadableBytes { raw throws(HTTPParseError) in
                        try decoder.decode(raw, into: &self.input)
                    }
                } catch {
                    self.inputError = true
                }
                self.decoder = decoder
            } else if let remaining = self.remainingLength {
                let take = Int(min(UInt64(bytes.readableBytes), remaining))
                if var slice = bytes.readSlice(length: take) { self.input.writeBuffer(&slice) }
                self.remainingLength = remaining - UInt64(take)
            }
        }
    }

    /// No more input will come.
    private var inputComplete: Bool {
        if self.inputError { return true }
        switch self.mode {
        case .tcp: return self.io.inputEnded
        case .http:
            if let decoder { return decoder.isComplete || self.io.inputEnded }
            return self.remainingLength == 0 || self.io.inputEnded
        }
    }

    /// The proxy received more input (or the input ended).
    func inputAvailable() {
        if let waiter = self.waiter {
            self.waiter = nil
            waiter.succeed([])
        }
    }

    /// Waits for more input, then runs `retry`.
    private func wait(
        timeout: TimeAmount? = nil, then retry: @escaping (_ timedOut: Bool) -> LuaFunctionResult
    ) -> LuaFunctionResult {
        let promise = self.eventLoop.makePromise(of: [LuaValue].self)
        self.waiter = promise
        var timer: Scheduled<Void>?
        if let timeout {
            timer = self.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
                guard let self, let waiter = self.waiter else { return }
                self.waiter = nil
                waiter.succeed([true])
            }
        }
        return .yield(request: LuaAwait(promise.futureResult)) { values in
            timer?.cancel()
            return retry(values.first == .boolean(true))
        }
    }

    /// `receive([size[, timeout]])`: all the input until its end, or `size` bytes (fewer at the end). `""` once
    /// the input ended; nil when `timeout` passes with no data (AppletTCP).
    func receive(size: Int?, timeout: TimeAmount?) -> LuaFunctionResult {
        self.pull()
        let available = self.input.readableBytes
        if let size, size > 0, available >= size {
            return .values([.string(self.input.readBytes(length: size) ?? [])])
        }
        if self.inputComplete {
            return .values([.string(self.input.readBytes(length: available) ?? [])])
        }
        if let size, size < 0, available > 0 {
            // receive(-1): whatever is there, once something is.
            return .values([.string(self.input.readBytes(length: available) ?? [])])
        }
        return self.wait(timeout: timeout) { timedOut in
            if timedOut {
                self.pull()
                let partial = self.input.readableBytes
                return .values([partial > 0 ? .string(self.input.readBytes(length: partial) ?? []) : .nil])
            }
            return self.receive(size: size, timeout: timeout)
        }
    }

    /// `try_receive()`: what is there now; nil if nothing yet, `""` once the input ended.
    func tryReceive() -> LuaFunctionResult {
        self.pull()
        let available = self.input.readableBytes
        if available > 0 { return .values([.string(self.input.readBytes(length: available) ?? [])]) }
        return .values([self.inputComplete ? .string([]) : .nil])
    }

    /// `getline()`: up to and including the next `\n`, or the rest at the end (`""` when nothing is left).
    func getline() -> LuaFunctionResult {
        self.pull()
        if let newline = self.input.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - self.input.readerIndex + 1
            return .values([.string(self.input.readBytes(length: length) ?? [])])
        }
        if self.inputComplete {
            return .values([.string(self.input.readBytes(length: self.input.readableBytes) ?? [])])
        }
        return self.wait { _ in self.getline() }
    }

    // MARK: Output

    /// `start_response()`: sends the head. Without a content-length the body is chunked.
    func startResponse() {
        guard !self.responseStarted, self.mode == .http else { return }
        self.responseStarted = true
        var head = ByteBuffer()
        head.reserveCapacity(64 + self.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 })
        head.writeStaticString("HTTP/1.1 ")
        head.writeString(String(self.status))
        head.writeStaticString(" ")
        if let reason = self.reason {
            head.writeString(reason)
        } else {
            head.writeString(HTTPStatusPhrase.phrase(for: self.status))
        }
        head.writeStaticString("\r\n")
        var hasLength = false
        for (name, value) in self.headers {
            if Self.equalsIgnoringCase(name, "transfer-encoding") { continue }
            if Self.equalsIgnoringCase(name, "content-length") { hasLength = true }
            head.writeString(name)
            head.writeStaticString(": ")
            head.writeString(value)
            head.writeStaticString("\r\n")
        }
        let bodyless = self.status == 204 || self.status == 304 || (100..<200).contains(self.status)
        if !hasLength && !bodyless {
            self.chunked = true
            head.writeStaticString("transfer-encoding: chunked\r\n")
        }
        head.writeStaticString("\r\n")
        self.io.write(head)
    }

    /// ASCII case-insensitive comparison with a lowercase `lowercased` (header names), without allocating.
    private static func equalsIgnoringCase(_ name: String, _ lowercased: StaticString) -> Bool {
        let other = UnsafeBufferPointer(start: lowercased.utf8Start, count: lowercased.utf8CodeUnitCount)
        guard name.utf8.count == other.count else { return false }
        return zip(name.utf8, other).allSatisfy { a, b in (a | 0x20 == b && b >= 0x61 && b <= 0x7A) || a == b }
    }

    /// `send(data)`: queues the bytes; when the client connection has more queued than it accepts (NIO's write
    /// buffer high-water mark), the coroutine waits until the client has read enough, as HAProxy's applets yield
    /// on a full buffer. A script streaming a large answer to a slow client therefore holds a bounded amount.
    func send(_ bytes: [UInt8]) -> LuaFunctionResult {
        self.write(bytes)
        guard !self.finished, !self.io.isWritable else { return .values([]) }
        let promise = self.eventLoop.makePromise(of: [LuaValue].self)
        self.outputWaiter = promise
        return .yield(request: LuaAwait(promise.futureResult)) { _ in .values([]) }
    }

    /// The client connection can take more bytes: a waiting `send` returns.
    func outputWritable() {
        if let waiter = self.outputWaiter {
            self.outputWaiter = nil
            waiter.succeed([])
        }
    }

    private func write(_ bytes: [UInt8]) {
        guard !self.finished else { return }
        if self.mode == .http {
            if !self.responseStarted { self.startResponse() }
            guard !bytes.isEmpty else { return }
            if self.chunked {
                var out = ByteBuffer()
                out.reserveCapacity(bytes.count + 16)
                out.writeString(String(bytes.count, radix: 16))
                out.writeStaticString("\r\n")
                out.writeBytes(bytes)
                out.writeStaticString("\r\n")
                self.io.write(out)
                return
            }
        }
        self.io.write(ByteBuffer(bytes: bytes))
    }

    /// The service function returned: complete the response.
    func finish() {
        guard !self.finished else { return }
        if self.mode == .http {
            if !self.responseStarted { self.startResponse() }
            if self.chunked { self.io.write(ByteBuffer(string: "0\r\n\r\n")) }
        }
        self.finished = true
        self.io.finish()
    }

    /// The service failed: a 500 if nothing was sent yet (HAProxy's best effort), else the response is cut.
    func fail() {
        guard !self.finished else { return }
        self.finished = true
        if self.mode == .http && !self.responseStarted {
            self.responseStarted = true
            self.io.write(HTTPErrorPage.defaultResponse(for: 500))
        }
        self.io.finish()
    }

    func cancel() {
        self.finished = true
        if let waiter = self.waiter {
            self.waiter = nil
            waiter.succeed([])
        }
        self.outputWritable()
    }
}
