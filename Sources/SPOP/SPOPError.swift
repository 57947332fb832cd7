/// Why SPOP input was rejected, and the status an agent answers it with in its AGENT-DISCONNECT.
public struct SPOPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong. Each code maps to one disconnect status.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        let status: SPOPStatus

        public var description: String { name }

        // Framing.
        /// The length prefix is larger than the max-frame-size in force.
        public static let frameTooBig = Code(name: "frame larger than max-frame-size", status: .frameTooBig)
        /// The length prefix is below the 7 bytes of the smallest frame.
        public static let frameTooSmall = Code(name: "frame shorter than 7 bytes", status: .invalidFrame)
        /// The frame type byte is not one the protocol defines.
        public static let unknownFrameType = Code(name: "unknown frame type", status: .invalidFrame)
        /// ABORT without FIN.
        public static let invalidFlags = Code(name: "ABORT flag without FIN", status: .invalidFrame)

        // Payload contents.
        /// A varint runs past the end of its frame or input.
        public static let truncatedVarint = Code(name: "truncated varint", status: .invalidFrame)
        /// A varint is longer than 10 bytes or its value does not fit in 64 bits.
        public static let varintOverflow = Code(name: "varint overflows 64 bits", status: .invalidFrame)
        /// Typed data, a name, or a count runs past the end of its frame.
        public static let truncatedData = Code(name: "truncated data", status: .invalidFrame)
        /// A typed-data type id of 10 to 15.
        public static let unknownDataType = Code(name: "unknown typed-data type", status: .invalidFrame)
        /// An INT32 or UINT32 whose varint does not fit in 32 bits.
        public static let integerOutOfRange = Code(name: "integer out of range for its type", status: .invalidFrame)
        /// An action with an unknown type, a wrong argument count, or an unknown scope.
        public static let invalidAction = Code(name: "invalid action", status: .invalidFrame)

        // Sequencing.
        /// A frame the agent side does not accept in the connection's current state (NOTIFY before HELLO,
        /// a second HELLO, a frame type only an agent sends...).
        public static let unexpectedFrame = Code(name: "unexpected frame", status: .invalidFrame)
        /// A HELLO or DISCONNECT frame with a stream-id or frame-id other than 0.
        public static let invalidFrameID = Code(name: "HELLO or DISCONNECT with a non-zero id", status: .invalidFrame)
        /// A frame without FIN although fragmentation was not negotiated (or a fragmented HELLO/DISCONNECT).
        public static let fragmentationNotSupported = Code(
            name: "fragmented frame without negotiated fragmentation", status: .fragmentationNotSupported)
        /// A fragment that does not continue the frame being reassembled, or a new frame during reassembly.
        public static let interlacedFrames = Code(name: "interlaced fragments", status: .interlacedFrames)
        /// The fragments of one frame add up to more than the configured reassembly limit.
        public static let reassembledTooBig = Code(name: "reassembled payload too big", status: .frameTooBig)

        // HELLO negotiation.
        /// HAPROXY-HELLO without `supported-versions` (or not a string).
        public static let versionNotFound = Code(name: "supported-versions not found", status: .versionNotFound)
        /// No version the agent speaks (2.0) among `supported-versions`.
        public static let unsupportedVersion = Code(name: "no supported version", status: .unsupportedVersion)
        /// HAPROXY-HELLO without `max-frame-size` (or not an integer).
        public static let maxFrameSizeNotFound = Code(
            name: "max-frame-size not found", status: .maxFrameSizeNotFound)
        /// A `max-frame-size` below 256.
        public static let badMaxFrameSize = Code(name: "max-frame-size below 256", status: .badMaxFrameSize)
        /// HAPROXY-HELLO without `capabilities` (or not a string).
        public static let capabilitiesNotFound = Code(
            name: "capabilities not found", status: .capabilitiesNotFound)
    }

    public var code: Code

    /// The status to put in the AGENT-DISCONNECT that answers this error.
    public var status: SPOPStatus { code.status }

    public init(_ code: Code) { self.code = code }

    public var description: String { "\(code.name) (status \(status))" }
}
