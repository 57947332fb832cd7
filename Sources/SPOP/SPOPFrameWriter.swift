import NIOCore

/// Where a frame being written starts in a buffer, so its length prefix can be filled in at the end.
public struct SPOPFrameMark: Sendable, Hashable {
    /// Writer index of the length prefix.
    public let start: Int

    @inlinable
    init(start: Int) { self.start = start }
}

// Frames are written whole into the caller's buffer, length prefix first, so that each frame goes out in
// one write (HAProxy 3.2 reset connections whose AGENT-HELLO arrived split). Nothing is allocated beyond
// the buffer's own growth.

extension ByteBuffer {
    /// Starts a frame: writes a placeholder length prefix and the header. Write the payload next, then call
    /// `finishSPOPFrame(_:)`.
    @inlinable
    public mutating func beginSPOPFrame(
        _ type: SPOPFrameType, flags: SPOPFrameFlags = .fin, streamID: UInt64 = 0, frameID: UInt64 = 0
    ) -> SPOPFrameMark {
        let mark = SPOPFrameMark(start: writerIndex)
        writeWithUnsafeMutableBytes(minimumWritableBytes: 9 + 2 * SPOPVarint.maxLength) {
            var out = SPOPWireWriter($0)
            out.uint32(0)
            out.byte(type.rawValue)
            out.uint32(flags.rawValue)
            out.varint(streamID)
            out.varint(frameID)
            return out.index
        }
        return mark
    }

    /// Fills in the length prefix of the frame started at `mark`; returns the frame's length (the value of
    /// the prefix, which excludes the prefix itself). Compare it with the negotiated max-frame-size.
    @discardableResult
    @inlinable
    public mutating func finishSPOPFrame(_ mark: SPOPFrameMark) -> Int {
        let length = writerIndex - mark.start - 4
        withVeryUnsafeMutableBytes {
            $0.storeBytes(of: UInt32(truncatingIfNeeded: length).bigEndian, toByteOffset: mark.start, as: UInt32.self)
        }
        return length
    }

    /// Removes the frame started at `mark` (for example one that came out larger than max-frame-size).
    @inlinable
    public mutating func abandonSPOPFrame(_ mark: SPOPFrameMark) {
        moveWriterIndex(to: mark.start)
    }

    /// Writes a whole frame with `payload`'s readable bytes; returns the frame length.
    @discardableResult
    public mutating func writeSPOPFrame(_ frame: SPOPFrame) -> Int {
        let mark = beginSPOPFrame(frame.type, flags: frame.flags, streamID: frame.streamID, frameID: frame.frameID)
        writeImmutableBuffer(frame.payload)
        return finishSPOPFrame(mark)
    }

    /// Writes an ACK echoing a NOTIFY's stream-id and frame-id, with `actions` (none for an empty ACK);
    /// returns the frame length.
    @discardableResult
    @inlinable
    public mutating func writeSPOPAck(
        streamID: UInt64, frameID: UInt64, actions: some Sequence<SPOPAction> = EmptyCollection()
    ) -> Int {
        let mark = beginSPOPFrame(.ack, streamID: streamID, frameID: frameID)
        for action in actions { writeSPOPAction(action) }
        return finishSPOPFrame(mark)
    }

    /// Writes an AGENT-HELLO frame; returns the frame length.
    @discardableResult
    public mutating func writeSPOPAgentHello(_ hello: SPOPAgentHello) -> Int {
        let mark = beginSPOPFrame(.agentHello)
        writeSPOPKVItem(name: SPOPHelloKey.version, value: SPOPTypedData(string: hello.version))
        writeSPOPKVItem(name: SPOPHelloKey.maxFrameSize, value: .uint32(hello.maxFrameSize))
        writeSPOPKVItem(name: SPOPHelloKey.capabilities, value: SPOPTypedData(string: hello.capabilities.description))
        return finishSPOPFrame(mark)
    }

    /// Writes a HAPROXY-HELLO frame (what HAProxy sends; for clients and tests); returns the frame length.
    @discardableResult
    public mutating func writeSPOPHAProxyHello(_ hello: SPOPHAProxyHello) -> Int {
        let mark = beginSPOPFrame(.haproxyHello)
        if let versions = hello.supportedVersions {
            writeSPOPKVItem(name: SPOPHelloKey.supportedVersions, value: SPOPTypedData(string: versions))
        }
        if let size = hello.maxFrameSize {
            writeSPOPKVItem(name: SPOPHelloKey.maxFrameSize, value: .uint32(size))
        }
        if let capabilities = hello.capabilities {
            writeSPOPKVItem(name: SPOPHelloKey.capabilities, value: SPOPTypedData(string: capabilities.description))
        }
        if let engineID = hello.engineID {
            writeSPOPKVItem(name: SPOPHelloKey.engineID, value: SPOPTypedData(string: engineID))
        }
        if hello.isHealthCheck {
            writeSPOPKVItem(name: SPOPHelloKey.healthcheck, value: .bool(true))
        }
        return finishSPOPFrame(mark)
    }

    /// Writes an AGENT-DISCONNECT frame (or, with `type: .haproxyDisconnect`, the HAProxy one) carrying
    /// `status-code` and `message`; the message is cut to 255 bytes (HAProxy 2.6 rejects longer ones).
    /// Returns the frame length.
    @discardableResult
    public mutating func writeSPOPDisconnect(
        _ disconnect: SPOPDisconnect, type: SPOPFrameType = .agentDisconnect
    ) -> Int {
        let mark = beginSPOPFrame(type)
        writeSPOPKVItem(name: SPOPDisconnect.statusCodeKey, value: .uint32(disconnect.status.rawValue))
        writeSPOPBytes(SPOPDisconnect.messageKey)
        writeSPOPString(disconnect.message.utf8.prefix(SPOPDisconnect.maxMessageLength))
        return finishSPOPFrame(mark)
    }
}
