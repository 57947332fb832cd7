import NIOCore

/// Cuts frames out of a connection's receive buffer.
///
/// Call `decode(_:)` each time bytes arrive and again after each frame: it returns nil until a whole frame
/// is buffered, then consumes it and returns it. A length prefix above `maxFrameSize` or below 7 is
/// rejected as soon as its 4 bytes are in, before waiting for the rest. Errors leave the buffer untouched;
/// the connection cannot continue after one (answer with `error.status`, then close).
public struct SPOPFrameDecoder: Sendable {
    /// The largest length prefix accepted: the agent's own limit before HELLO, the negotiated one after.
    public var maxFrameSize: Int

    public init(maxFrameSize: Int = SPOPConfiguration.defaultMaxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// Decodes one frame from the start of `buffer`'s readable bytes; nil when more bytes are needed.
    @inlinable
    public func decode(_ buffer: inout ByteBuffer) throws(SPOPError) -> SPOPFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length <= maxFrameSize else { throw SPOPError(.frameTooBig) }
        guard length >= SPOPFrame.minimumLength else { throw SPOPError(.frameTooSmall) }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        var frame = buffer.getSlice(at: buffer.readerIndex + 4, length: Int(length))!
        let (typeByte, flagBits) = frame.readMultipleIntegers(as: (UInt8, UInt32).self)!
        guard let type = SPOPFrameType(rawValue: typeByte) else { throw SPOPError(.unknownFrameType) }
        let flags = SPOPFrameFlags(rawValue: flagBits)
        guard !flags.contains(.abort) || flags.contains(.fin) else { throw SPOPError(.invalidFlags) }
        let streamID = try frame.readSPOPVarint()
        let frameID = try frame.readSPOPVarint()
        buffer.moveReaderIndex(forwardBy: 4 + Int(length))
        return SPOPFrame(type: type, flags: flags, streamID: streamID, frameID: frameID, payload: frame)
    }
}
