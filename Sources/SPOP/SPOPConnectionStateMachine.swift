import NIOCore

/// The agent side of one SPOP connection, without I/O: it decodes frames, checks that they arrive in
/// an order the protocol allows, negotiates HELLO, reassembles fragmented NOTIFYs, and tells its owner
/// what to do next.
///
/// The owner (a channel handler) calls `read(from:)` with its receive buffer until it returns nil, and
/// executes each returned `Action` in order. After `.sendAgentDisconnect`, or `.sendAgentHello` with
/// `closeAfterwards`, the machine is closed: it reads nothing more. Any bad input (a frame too big, an
/// unknown type, truncated data, a NOTIFY before HELLO, interlaced fragments...) ends in
/// `.sendAgentDisconnect` with the matching status; nothing traps.
///
/// A dispatched NOTIFY's messages are slices of the buffer they were read from (or of the reassembly
/// buffer): holding them while the owner keeps writing into that buffer costs a copy, not correctness.
public struct SPOPConnectionStateMachine: Sendable {
    /// What the owner must do after a frame.
    public enum Action: Sendable, Hashable {
        /// The frame was absorbed (a fragment stored, an abort of nothing): nothing to write.
        case nothing
        /// Write this AGENT-HELLO. With `closeAfterwards` (a health check), close the connection once it is
        /// written.
        case sendAgentHello(SPOPAgentHello, closeAfterwards: Bool)
        /// Process the messages, then write an ACK with the same stream-id and frame-id (an empty ACK if
        /// processing fails or times out).
        case handleNotify(SPOPNotify)
        /// HAProxy aborted a fragmented NOTIFY: its fragments were dropped and it needs no ACK.
        case discardedNotify(streamID: UInt64, frameID: UInt64)
        /// Write an AGENT-DISCONNECT carrying `disconnect`, then close the connection.
        case sendAgentDisconnect(SPOPDisconnect, cause: DisconnectCause)
    }

    /// Why the connection is being closed.
    public enum DisconnectCause: Sendable, Hashable {
        /// HAProxy sent this HAPROXY-DISCONNECT; the agent answers with status 0.
        case peer(SPOPDisconnect)
        /// The input was bad; the AGENT-DISCONNECT carries `error.status`.
        case error(SPOPError)
        /// The owner asked for it (`close(status:)`), for example on shutdown.
        case local
    }

    private enum State: Sendable {
        case awaitingHello
        case established
        case closed
    }

    private struct Reassembly: Sendable {
        var streamID: UInt64
        var frameID: UInt64
        var payload: ByteBuffer
    }

    /// The agent's settings.
    public let configuration: SPOPConfiguration
    /// The AGENT-HELLO sent, once HELLO succeeded.
    public private(set) var negotiated: SPOPAgentHello?
    /// HAProxy's `engine-id`, once HELLO succeeded (nil if it sent none).
    public private(set) var engineID: String?
    private var state: State = .awaitingHello
    private var decoder: SPOPFrameDecoder
    private var reassembly: Reassembly?

    public init(configuration: SPOPConfiguration = SPOPConfiguration()) {
        self.configuration = configuration
        decoder = SPOPFrameDecoder(maxFrameSize: configuration.maxFrameSize)
    }

    /// The largest frame accepted and to be sent: the agent's own limit before HELLO, the negotiated
    /// one after. An ACK longer than this must be replaced by an empty ACK.
    public var maxFrameSize: Int { decoder.maxFrameSize }

    /// Whether the connection is past its end (an AGENT-DISCONNECT or health-check reply was decided).
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// Whether the HELLO exchange is done and NOTIFY frames are accepted.
    public var isEstablished: Bool {
        if case .established = state { return true }
        return false
    }

    /// Decodes and handles at most one frame from `buffer`; nil when more bytes are needed or the
    /// connection is closed.
    public mutating func read(from buffer: inout ByteBuffer) -> Action? {
        if case .closed = state { return nil }
        let frame: SPOPFrame
        do throws(SPOPError) {
            guard let decoded = try decoder.decode(&buffer) else { return nil }
            frame = decoded
        } catch {
            return reject(error)
        }
        return receive(frame)
    }

    /// Handles a frame decoded elsewhere.
    public mutating func receive(_ frame: SPOPFrame) -> Action {
        switch state {
        case .closed:
            return .nothing
        case .awaitingHello:
            switch frame.type {
            case .haproxyHello: return hello(frame)
            case .haproxyDisconnect: return peerDisconnect(frame)
            default: return reject(SPOPError(.unexpectedFrame))
            }
        case .established:
            switch frame.type {
            case .notify: return notify(frame)
            case .unset: return fragment(frame)
            case .haproxyDisconnect: return peerDisconnect(frame)
            case .haproxyHello, .agentHello, .agentDisconnect, .ack: return reject(SPOPError(.unexpectedFrame))
            }
        }
    }

    /// Closes the connection because of `error` found by the owner: the AGENT-DISCONNECT to send.
    public mutating func reject(_ error: SPOPError) -> Action {
        state = .closed
        reassembly = nil
        return .sendAgentDisconnect(SPOPDisconnect(status: error.status), cause: .error(error))
    }

    /// Closes the connection on the owner's initiative (shutdown, idle timeout...): the AGENT-DISCONNECT to
    /// send, or nil if the connection is already closed.
    public mutating func close(status: SPOPStatus = .normal) -> Action? {
        if case .closed = state { return nil }
        state = .closed
        reassembly = nil
        return .sendAgentDisconnect(SPOPDisconnect(status: status), cause: .local)
    }

    private mutating func hello(_ frame: SPOPFrame) -> Action {
        guard frame.isFinal else { return reject(SPOPError(.fragmentationNotSupported)) }
        guard frame.streamID == 0, frame.frameID == 0 else { return reject(SPOPError(.invalidFrameID)) }
        let hello: SPOPHAProxyHello
        let answer: SPOPAgentHello
        do throws(SPOPError) {
            hello = try SPOPHAProxyHello(payload: frame.payload)
            answer = try SPOPAgentHello(negotiating: hello, configuration: configuration)
        } catch {
            return reject(error)
        }
        negotiated = answer
        engineID = hello.engineID
        decoder.maxFrameSize = Int(answer.maxFrameSize)
        state = hello.isHealthCheck ? .closed : .established
        return .sendAgentHello(answer, closeAfterwards: hello.isHealthCheck)
    }

    private mutating func peerDisconnect(_ frame: SPOPFrame) -> Action {
        let theirs = (try? SPOPDisconnect(payload: frame.payload)) ?? SPOPDisconnect(status: .unknown, message: "")
        state = .closed
        reassembly = nil
        return .sendAgentDisconnect(SPOPDisconnect(status: .normal), cause: .peer(theirs))
    }

    private var fragmentationNegotiated: Bool {
        negotiated?.capabilities.contains(.fragmentation) ?? false
    }

    private mutating func notify(_ frame: SPOPFrame) -> Action {
        guard reassembly == nil else { return reject(SPOPError(.interlacedFrames)) }
        if frame.isAbort { return .discardedNotify(streamID: frame.streamID, frameID: frame.frameID) }
        if frame.isFinal { return dispatch(streamID: frame.streamID, frameID: frame.frameID, payload: frame.payload) }
        guard fragmentationNegotiated else { return reject(SPOPError(.fragmentationNotSupported)) }
        guard frame.payload.readableBytes <= configuration.maxReassembledPayload else {
            return reject(SPOPError(.reassembledTooBig))
        }
        // Copy: the frame is a slice of the receive buffer, which the owner reuses.
        var payload = ByteBuffer()
        payload.reserveCapacity(Swift.min(frame.payload.readableBytes * 4, configuration.maxReassembledPayload))
        payload.writeImmutableBuffer(frame.payload)
        reassembly = Reassembly(streamID: frame.streamID, frameID: frame.frameID, payload: payload)
        return .nothing
    }

    private mutating func fragment(_ frame: SPOPFrame) -> Action {
        guard let current = reassembly else {
            // An abort of nothing in progress is harmless; a continuation of nothing is not.
            return frame.isAbort ? .nothing : reject(SPOPError(.interlacedFrames))
        }
        guard frame.streamID == current.streamID, frame.frameID == current.frameID else {
            return reject(SPOPError(.interlacedFrames))
        }
        if frame.isAbort {
            reassembly = nil
            return .discardedNotify(streamID: frame.streamID, frameID: frame.frameID)
        }
        guard current.payload.readableBytes + frame.payload.readableBytes <= configuration.maxReassembledPayload else {
            return reject(SPOPError(.reassembledTooBig))
        }
        reassembly!.payload.writeImmutableBuffer(frame.payload)
        guard frame.isFinal else { return .nothing }
        let payload = reassembly!.payload
        reassembly = nil
        return dispatch(streamID: frame.streamID, frameID: frame.frameID, payload: payload)
    }

    private mutating func dispatch(streamID: UInt64, frameID: UInt64, payload: ByteBuffer) -> Action {
        do throws(SPOPError) {
            let messages = try SPOPMessageList(validating: payload)
            return .handleNotify(SPOPNotify(streamID: streamID, frameID: frameID, messages: messages))
        } catch {
            return reject(error)
        }
    }
}
