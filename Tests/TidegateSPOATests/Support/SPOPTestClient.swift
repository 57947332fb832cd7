import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SPOP

/// A failure of the test harness (timeout, unexpected frame...).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
}

/// A Swift SPOP client playing HAProxy's part over a real socket: it sends raw bytes or frames, and hands back
/// every frame the agent sends, decoded, in order; `nil` once the agent has closed the connection.
final class SPOPTestClient: Sendable {
    let channel: any Channel
    private let inbox: Inbox

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    static func connect(to address: SocketAddress, group: any EventLoopGroup) async throws -> SPOPTestClient {
        let inbox = Inbox()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FrameCollector(inbox: inbox))
                }
            }
            .connect(to: address).get()
        return SPOPTestClient(channel: channel, inbox: inbox)
    }

    // MARK: Sending

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func send(_ write: (inout ByteBuffer) -> Void) async throws {
        var buffer = ByteBuffer()
        write(&buffer)
        try await channel.writeAndFlush(buffer).get()
    }

    /// Sends HAPROXY-HELLO (HAProxy 2.6's: pipelining and async, max-frame-size 16380) and returns the answer.
    @discardableResult
    func hello(
        _ hello: SPOPHAProxyHello = SPOPHAProxyHello(engineID: "test-engine")
    ) async throws -> SPOPFrame {
        try await send { $0.writeSPOPHAProxyHello(hello) }
        let answer = try await expectFrame()
        guard answer.type == .agentHello else {
            throw HarnessError(description: "expected AGENT-HELLO, got \(answer.type)")
        }
        return answer
    }

    /// Sends a NOTIFY carrying `messages`.
    func notify(streamID: UInt64, frameID: UInt64, _ messages: [SPOPMessage]) async throws {
        try await send { buffer in
            let mark = buffer.beginSPOPFrame(.notify, streamID: streamID, frameID: frameID)
            for message in messages { buffer.writeSPOPMessage(message) }
            buffer.finishSPOPFrame(mark)
        }
    }

    // MARK: Receiving

    /// The next frame from the agent, nil if it closed the connection; throws after `timeout`.
    func nextFrame(timeout: Duration = .seconds(10)) async throws -> SPOPFrame? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            switch inbox.take() {
            case .frame(let frame): return frame
            case .closed: return nil
            case .empty: break
            }
            guard clock.now < deadline else {
                throw HarnessError(description: "no frame from the agent within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    func expectFrame(timeout: Duration = .seconds(10)) async throws -> SPOPFrame {
        guard let frame = try await nextFrame(timeout: timeout) else {
            throw HarnessError(description: "the agent closed the connection")
        }
        return frame
    }

    /// The next frame, which must be an ACK; returns its actions.
    func expectAck(timeout: Duration = .seconds(10)) async throws -> (frame: SPOPFrame, actions: [SPOPAction]) {
        let frame = try await expectFrame(timeout: timeout)
        guard frame.type == .ack else { throw HarnessError(description: "expected ACK, got \(frame.type)") }
        return (frame, Array(try SPOPActionList(validating: frame.payload)))
    }

    /// Whether the agent closes the connection (after any frames still coming) within `timeout`.
    func closesConnection(timeout: Duration = .seconds(10)) async throws -> Bool {
        while true {
            guard try await nextFrame(timeout: timeout) != nil else { return true }
        }
    }

    func close() async {
        try? await channel.close()
    }
}

/// Frames received and not yet taken by the test.
private final class Inbox: Sendable {
    enum Next { case frame(SPOPFrame), closed, empty }

    private let state = NIOLockedValueBox<(frames: [SPOPFrame], closed: Bool)>(([], false))

    func append(_ frame: SPOPFrame) { state.withLockedValue { $0.frames.append(frame) } }
    func close() { state.withLockedValue { $0.closed = true } }

    func take() -> Next {
        state.withLockedValue { state in
            if !state.frames.isEmpty { return .frame(state.frames.removeFirst()) }
            return state.closed ? .closed : .empty
        }
    }
}

/// Decodes the agent's frames and forwards them to the test.
private final class FrameCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let inbox: Inbox
    private var received = ByteBuffer()
    private let decoder = SPOPFrameDecoder(maxFrameSize: 1 << 24)

    init(inbox: Inbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        do {
            while let frame = try decoder.decode(&received) {
                inbox.append(frame)
            }
        } catch {
            inbox.close()
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.close()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
