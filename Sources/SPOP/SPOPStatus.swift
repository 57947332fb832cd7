/// A status code carried by HAPROXY-DISCONNECT and AGENT-DISCONNECT frames (`status-code`).
///
/// The codes 0 to 13 and 99 are the protocol's own; an agent may use any other value for errors of its
/// own, so this is a struct, not a closed enum.
public struct SPOPStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// 0: the connection ends normally.
    public static let normal = SPOPStatus(rawValue: 0)
    /// 1: an I/O error.
    public static let ioError = SPOPStatus(rawValue: 1)
    /// 2: a timeout occurred.
    public static let timeout = SPOPStatus(rawValue: 2)
    /// 3: a frame is larger than the negotiated max-frame-size.
    public static let frameTooBig = SPOPStatus(rawValue: 3)
    /// 4: an invalid frame was received.
    public static let invalidFrame = SPOPStatus(rawValue: 4)
    /// 5: the HELLO had no version item.
    public static let versionNotFound = SPOPStatus(rawValue: 5)
    /// 6: the HELLO had no max-frame-size item.
    public static let maxFrameSizeNotFound = SPOPStatus(rawValue: 6)
    /// 7: the HELLO had no capabilities item.
    public static let capabilitiesNotFound = SPOPStatus(rawValue: 7)
    /// 8: no common protocol version.
    public static let unsupportedVersion = SPOPStatus(rawValue: 8)
    /// 9: max-frame-size is below the protocol's floor or above the peer's.
    public static let badMaxFrameSize = SPOPStatus(rawValue: 9)
    /// 10: a fragmented frame arrived although fragmentation was not negotiated.
    public static let fragmentationNotSupported = SPOPStatus(rawValue: 10)
    /// 11: fragments of different frames were interlaced.
    public static let interlacedFrames = SPOPStatus(rawValue: 11)
    /// 12: a frame refers to an unknown frame-id.
    public static let frameIDNotFound = SPOPStatus(rawValue: 12)
    /// 13: memory or another resource ran out.
    public static let resourceAllocation = SPOPStatus(rawValue: 13)
    /// 99: any other error.
    public static let unknown = SPOPStatus(rawValue: 99)

    /// Whether the code is one the protocol defines (0...13 or 99).
    public var isDefined: Bool { rawValue <= 13 || rawValue == 99 }

    /// The text HAProxy puts in the `message` item for this code; for a code the protocol does not
    /// define, the text of 99.
    public var message: String {
        switch rawValue {
        case 0: return "normal"
        case 1: return "I/O error"
        case 2: return "a timeout occurred"
        case 3: return "frame is too big"
        case 4: return "invalid frame received"
        case 5: return "version value not found"
        case 6: return "max-frame-size value not found"
        case 7: return "capabilities value not found"
        case 8: return "unsupported version"
        case 9: return "max-frame-size too big or too small"
        case 10: return "fragmentation not supported"
        case 11: return "invalid interlaced frames"
        case 12: return "frame-id not found"
        case 13: return "resource allocation error"
        default: return "an unknown error occurred"
        }
    }

    public var description: String { "\(rawValue) (\(message))" }
}
