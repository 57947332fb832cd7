import NIOCore
import TidegateCore
import TidegateHTTP

/// The server side of a stream answered by a service (`use-service`): the request body goes to the service
/// instead of a server, and what the service writes is handled like a server's response (response rules,
/// framing, logging). One per service run; the session drops it when the transaction ends.
final class ServiceEndpoint: ServiceIO {
    unowned(unsafe) let session: HTTPSession
    var running: (any RunningService)?
    private var input = ByteBuffer()
    private(set) var inputEnded = false
    let requestFraming: HTTPBodyFraming?
    private(set) var finished = false

    init(session: HTTPSession, requestFraming: HTTPBodyFraming) {
        self.session = session
        self.requestFraming = requestFraming
    }

    /// Request body bytes from the client.
    func deliver(_ bytes: inout ByteBuffer, ended: Bool) {
        if bytes.readableBytes > 0 { self.input.writeBuffer(&bytes) }
        if ended { self.inputEnded = true }
        self.running?.inputAvailable()
    }

    func clientInputEnded() {
        guard !self.inputEnded else { return }
        self.inputEnded = true
        self.running?.inputAvailable()
    }

    func takeInput() -> ByteBuffer? {
        guard self.input.readableBytes > 0 else { return nil }
        defer { self.input = ByteBuffer() }
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
