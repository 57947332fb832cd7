import NIOCore

/// The type byte of a frame.
public enum SPOPFrameType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Type 0: continuation fragments of a fragmented frame, and the empty FIN|ABORT frame that aborts one.
    case unset = 0
    /// First frame HAProxy sends on a connection.
    case haproxyHello = 1
    /// HAProxy closes the connection.
    case haproxyDisconnect = 2
    /// HAProxy sends messages to process.
    case notify = 3
    /// The agent's answer to HAPROXY-HELLO.
    case agentHello = 101
    /// The agent closes the connection.
    case agentDisconnect = 102
    /// The agent's answer to a NOTIFY.
    case ack = 103

    public var description: String {
        switch self {
        case .unset: return "UNSET"
        case .haproxyHello: return "HAPROXY-HELLO"
        case .haproxyDisconnect: return "HAPROXY-DISCONNECT"
        case .notify: return "NOTIFY"
        case .agentHello: return "AGENT-HELLO"
        case .agentDisconnect: return "AGENT-DISCONNECT"
        case .ack: return "ACK"
        }
    }
}

/// The 32-bit flags field of a frame (big-endian on the wire).
public struct SPOPFrameFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The last (or only) fragment of a frame.
    public static let fin = SPOPFrameFlags(rawValue: 0x1)
    /// Abort the fragmented frame in progress; always set together with FIN.
    public static let abort = SPOPFrameFlags(rawValue: 0x2)
}

/// A decoded frame: its header and its payload, a slice of the input buffer (no copy).
public struct SPOPFrame: Sendable, Hashable {
    /// The smallest frame (the length prefix excluded): type (1) + flags (4) + two 1-byte varints.
    public static let minimumLength = 7
    /// The smallest `max-frame-size` a peer may announce; below it negotiation fails with status 9.
    public static let minimumMaxFrameSize = 256

    public var type: SPOPFrameType
    public var flags: SPOPFrameFlags
    /// The stream-id (0 is valid: HAProxy 2.6 numbers its streams from 0).
    public var streamID: UInt64
    /// The frame-id.
    public var frameID: UInt64
    /// The bytes after the header: a KV-LIST, LIST-OF-MESSAGES, LIST-OF-ACTIONS or a fragment of one.
    public var payload: ByteBuffer

    public init(
        type: SPOPFrameType, flags: SPOPFrameFlags = .fin, streamID: UInt64 = 0, frameID: UInt64 = 0,
        payload: ByteBuffer = ByteBuffer()
    ) {
        self.type = type
        self.flags = flags
        self.streamID = streamID
        self.frameID = frameID
        self.payload = payload
    }

    /// Whether FIN is set.
    public var isFinal: Bool { flags.contains(.fin) }
    /// Whether ABORT is set.
    public var isAbort: Bool { flags.contains(.abort) }
}
