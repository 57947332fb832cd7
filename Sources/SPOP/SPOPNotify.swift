import NIOCore

/// A complete NOTIFY (reassembled if it came in fragments), to be answered by an ACK with the same
/// stream-id and frame-id.
public struct SPOPNotify: Sendable, Hashable {
    public var streamID: UInt64
    public var frameID: UInt64
    /// The messages, validated; empty for an empty NOTIFY (which must be ACKed too).
    public var messages: SPOPMessageList

    public init(streamID: UInt64, frameID: UInt64, messages: SPOPMessageList) {
        self.streamID = streamID
        self.frameID = frameID
        self.messages = messages
    }
}
