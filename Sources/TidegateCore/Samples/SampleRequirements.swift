/// What a sample fetch needs from the stream, so that callers can reject rules that use a fetch
/// where its data cannot exist (HAProxy's "will never match because it only involves keywords that
/// are incompatible with ..." check).
public struct SampleRequirements: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The client connection's addresses (`src`, `dst`).
    public static let connection = SampleRequirements(rawValue: 1 << 0)
    /// The HTTP request head (`path`, `req.hdr`).
    public static let httpRequest = SampleRequirements(rawValue: 1 << 1)
    /// The HTTP response head (`status`, `res.hdr`).
    public static let httpResponse = SampleRequirements(rawValue: 1 << 2)
    /// A backend was chosen (`be_name`, `nbsrv` without argument).
    public static let backend = SampleRequirements(rawValue: 1 << 3)
    /// A server was chosen (`srv_name`).
    public static let server = SampleRequirements(rawValue: 1 << 4)
    /// The head of the direction being processed (`hdr`, valid in request and response rules).
    public static let httpCurrent = SampleRequirements(rawValue: 1 << 5)
    /// Values only known at the end of the stream (timers, byte counts).
    public static let streamEnd = SampleRequirements(rawValue: 1 << 6)
}
