import NIOCore
import TidegateCore
import TidegateHTTP

/// The connection as a command applet sees it (a Lua `core.register_cli` command's `AppletTCP`): the input left
/// after the request, then what the client sends while it runs; its writes go to the client. One per run.
final class CLIAppletIO: ServiceIO {
    private weak var handler: CLIChannelHandler?
    /// The applet, once started.
    var running: (any RunningService)?
    private var input: ByteBuffer
    private(set) var inputEnded: Bool
    private(set) var finished = false

    init(handler: CLIChannelHandler, input: [UInt8], inputEnded: Bool) {
        self.handler = handler
        self.input = ByteBuffer(bytes: input)
        self.inputEnded = inputEnded
    }

    var requestFraming: HTTPBodyFraming? { nil }

    func takeInput() -> ByteBuffer? {
        guard input.readableBytes > 0 else { return nil }
        defer { input = ByteBuffer() }
        return input
    }

    /// Input the applet did not take (given back to the session when it finishes).
    var untakenInput: [UInt8] { Array(input.readableBytesView) }

    func write(_ bytes: ByteBuffer) {
        guard !finished else { return }
        handler?.appletDidWrite(bytes)
    }

    func finish() {
        guard !finished else { return }
        finished = true
        handler?.appletDidFinish(self)
    }

    var isWritable: Bool { handler?.isWritable ?? false }

    /// More bytes from the client.
    func deliver(_ bytes: ByteBuffer) {
        var bytes = bytes
        input.writeBuffer(&bytes)
        running?.inputAvailable()
    }

    /// The client will send nothing more.
    func endInput() {
        guard !inputEnded else { return }
        inputEnded = true
        running?.inputAvailable()
    }

    /// The connection is gone: stop the applet.
    func cancel() {
        finished = true
        let running = self.running
        self.running = nil
        running?.cancel()
    }
}
