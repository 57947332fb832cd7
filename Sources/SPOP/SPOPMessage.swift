import NIOCore

/// One message of a NOTIFY frame: the name of the `spoe-message` section and its arguments in order.
public struct SPOPMessage: Sendable, Hashable {
    /// The message name (bytes as received).
    public var name: ByteBuffer
    /// The arguments; unnamed arguments have an empty name.
    public var arguments: SPOPKVList

    public init(name: ByteBuffer, arguments: SPOPKVList) {
        self.name = name
        self.arguments = arguments
    }

    /// A message named `name` with `arguments`.
    public init(_ name: String, _ arguments: [SPOPKVItem]) {
        self.init(name: ByteBuffer(string: name), arguments: SPOPKVList(arguments))
    }

    /// The name decoded as UTF-8 (invalid sequences replaced).
    public var nameString: String { String(buffer: name) }
}

/// The validated LIST-OF-MESSAGES of a NOTIFY payload (possibly empty).
///
/// It keeps the payload (no copy) and decodes messages as it is iterated; the whole list was checked when
/// it was made, so a handler never meets a malformed argument halfway through.
public struct SPOPMessageList: Sequence, Sendable, Hashable {
    /// The encoded messages.
    public let bytes: ByteBuffer
    /// The number of messages.
    public let count: Int

    /// Validates all of `payload`'s readable bytes as a list of messages.
    public init(validating payload: ByteBuffer) throws(SPOPError) {
        count = try countSPOPItems(in: payload) { (scanner) throws(SPOPError) in _ = try scanner.skipMessage() }
        bytes = payload
    }

    /// Builds a list by encoding `messages`.
    public init(_ messages: some Sequence<SPOPMessage>) {
        (bytes, count) = encodeSPOPItems(messages) { $0.writeSPOPMessage($1) }
    }

    /// Reads one message known to be valid: only finds where its parts end.
    static func readValidMessage(_ buffer: inout ByteBuffer) -> SPOPMessage? {
        guard let name = try? buffer.readSPOPBytes(), let argumentCount = buffer.readInteger(as: UInt8.self) else {
            return nil
        }
        let length = buffer.withUnsafeReadableBytes { raw -> Int? in
            var scanner = SPOPWireScanner(raw)
            for _ in 0..<argumentCount {
                guard (try? scanner.skipLengthPrefixed()) != nil, (try? scanner.skipTypedData()) != nil else {
                    return nil
                }
            }
            return scanner.index
        }
        guard let length, let arguments = buffer.readSlice(length: length) else { return nil }
        return SPOPMessage(name: name, arguments: SPOPKVList(trusted: arguments, count: Int(argumentCount)))
    }

    public var underestimatedCount: Int { count }

    public func makeIterator() -> Iterator { Iterator(rest: bytes) }

    /// Decodes the messages one by one.
    public struct Iterator: IteratorProtocol {
        var rest: ByteBuffer

        public mutating func next() -> SPOPMessage? {
            guard rest.readableBytes > 0 else { return nil }
            // Validated when the list was made: this read cannot fail.
            guard let message = SPOPMessageList.readValidMessage(&rest) else {
                rest.clear()
                return nil
            }
            return message
        }
    }
}

extension ByteBuffer {
    /// Writes a message's name and argument count; its `argumentCount` KV items must follow.
    @discardableResult
    public mutating func writeSPOPMessageHeader(name: some Collection<UInt8>, argumentCount: Int) -> Int {
        precondition((0...255).contains(argumentCount), "a message has at most 255 arguments")
        return writeSPOPBytes(name) + writeInteger(UInt8(argumentCount))
    }

    /// Writes a whole message (name, argument count, arguments).
    @discardableResult
    public mutating func writeSPOPMessage(_ message: SPOPMessage) -> Int {
        precondition(message.arguments.count <= 255, "a message has at most 255 arguments")
        return writeSPOPBytes(message.name) + writeInteger(UInt8(message.arguments.count))
            + writeImmutableBuffer(message.arguments.bytes)
    }
}
