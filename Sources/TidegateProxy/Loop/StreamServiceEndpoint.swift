import NIOCore
import TidegateCore
import TidegateHTTP

/// The session side of a service's output and of the client's input (HTTP and TCP sessions).
protocol ServiceEndpointOwner: AnyObject {
    /// Bytes from the service for the client.
    func serviceDidWrite(_ endpoint: StreamServiceEndpoint<Self>, _ bytes: ByteBuffer)
    /// The service completed its output.
    func serviceDidFinish(_ endpoint: StreamServiceEndpoint<Self>)
    /// The service took the input it was given (the session may read from the client again).
    func serviceDidTakeInput(_ endpoint: StreamServiceEndpoint<Self>)
    var isClientWritable: Bool { get }
}

extension ServiceEndpointOwner {
    func serviceDidTakeInput(_ endpoint: StreamServiceEndpoint<Self>) {}
}

/// The server side of a stream answered by an HTTP service (`http-request use-service`).
typealias ServiceEndpoint = StreamServiceEndpoint<HTTPSession>

extension HTTPSession: ServiceEndpointOwner {}

/// The server side of a stream answered by a service (`use-service`): the client's input (HTTP: the request body)
/// goes to the service instead of a server, and what the service writes goes to the owning session (HTTP: handled
/// like a server's response, with response rules, framing and logging; TCP: relayed to the client). One per
/// service run; the session drops it when the transaction ends.
final class StreamServiceEndpoint<Owner: ServiceEndpointOwner>: ServiceIO {
    unowned(unsafe) let session: Owner
    var running: (any RunningService)?
    private var input = ByteBuffer()
    private(set) var inputEnded = false
    let requestFraming: HTTPBodyFraming?
    private(set) var finished = false

    init(session: Owner, requestFraming: HTTPBodyFraming?) {
        self.session = session
        self.requestFraming = requestFraming
    }

    /// Client input not yet taken by the service.
    var bufferedInput: Int { self.input.readableBytes }

    /// Input bytes from the client (HTTP: the request body). The service hears of it only when something changed
    /// (a service's `core.wait()` returns on that event).
    func deliver(_ bytes: inout ByteBuffer, ended: Bool) {
        let changed = bytes.readableBytes > 0 || (ended && !self.inputEnded)
        if bytes.readableBytes > 0 { self.input.writeBuffer(&bytes) }
        if ended { self.inputEnded = true }
        if changed { self.running?.inputAvailable() }
    }

    func clientInputEnded() {
        guard !self.inputEnded else { return }
        self.inputEnded = true
        self.running?.inputAvailable()
    }

    func takeInput() -> ByteBuffer? {
        guard self.input.readableBytes > 0 else { return nil }
        defer {
            self.input = ByteBuffer()
            self.session.serviceDidTakeInput(self)
        }
        return self.input
    }

    func write(_ bytes: ByteBuffer) {
        guard !self.finished else { return }
        self.session.serviceDidWrite(self, bytes)
    }

    func finish() {
        guard !self.finished else { return }
        self.finished = true
        self.session.serviceDidFinish(self)
    }

    var isWritable: Bool { self.session.isClientWritable }

    /// The stream is over: stop the service.
    func cancel() {
        self.finished = true
        let running = self.running
        self.running = nil
        running?.cancel()
    }
}
